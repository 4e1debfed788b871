import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TestingError } from '../errors.js';
import { findBinary } from './find-binary.js';
import { freePort } from './free-port.js';
import type { LaunchPlanner } from './launch-plan.js';

/**
 * A throwaway ClickHouse server with a minimal config of its own (HTTP on `port`, native TCP on
 * another free port, one passwordless `default` user, data in the temp dir). Works with Debian's 18.16 and with
 * current releases.
 */
export const planClickHouse: LaunchPlanner = async (dir, port) => {
  const server = await findBinary('clickhouse-server');
  const single = server === undefined ? await findBinary('clickhouse') : undefined;
  const command = server ?? single;
  if (command === undefined) {
    throw new TestingError(
      'SERVICE_START_FAILED',
      'clickhouse: neither clickhouse-server nor clickhouse is installed',
    );
  }
  const tcpPort = await freePort();
  const configFile = join(dir, 'config.xml');
  return {
    kind: 'clickhouse',
    command,
    args: [...(single === undefined ? [] : ['server']), `--config-file=${configFile}`],
    url: `http://127.0.0.1:${port}`,
    stopSignal: 'SIGTERM',
    prepare: async () => {
      await mkdir(join(dir, 'data'), { recursive: true });
      await writeFile(configFile, clickHouseConfig(dir, port, tcpPort));
      await writeFile(join(dir, 'users.xml'), usersConfig());
    },
  };
};

// `<yandex>` is the root element every release reads (18.x knows no other; later ones accept
// it beside `<clickhouse>`), and `users_config` likewise (18.x has no `user_directories`).
function clickHouseConfig(dir: string, httpPort: number, tcpPort: number): string {
  return `<yandex>
  <logger><console>1</console><level>warning</level></logger>
  <listen_host>127.0.0.1</listen_host>
  <http_port>${httpPort}</http_port>
  <tcp_port>${tcpPort}</tcp_port>
  <path>${join(dir, 'data')}/</path>
  <tmp_path>${join(dir, 'tmp')}/</tmp_path>
  <user_files_path>${join(dir, 'user_files')}/</user_files_path>
  <format_schema_path>${join(dir, 'format_schemas')}/</format_schema_path>
  <mark_cache_size>268435456</mark_cache_size>
  <users_config>${join(dir, 'users.xml')}</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
</yandex>
`;
}

function usersConfig(): string {
  return `<yandex>
  <profiles><default/></profiles>
  <users>
    <default>
      <password></password>
      <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
      <profile>default</profile>
      <quota>default</quota>
    </default>
  </users>
  <quotas><default/></quotas>
</yandex>
`;
}
