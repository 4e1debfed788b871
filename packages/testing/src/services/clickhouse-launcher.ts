import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TestingError } from '../errors.js';
import { findBinary } from './find-binary.js';
import { freePort } from './free-port.js';
import type { LaunchPlanner } from './launch-plan.js';

/**
 * A throwaway ClickHouse server with a minimal config of its own (HTTP on `port`, native TCP on
 * another free port, one passwordless `default` user, data in the temp dir).
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
    },
  };
};

function clickHouseConfig(dir: string, httpPort: number, tcpPort: number): string {
  return `<clickhouse>
  <logger><console>1</console><level>warning</level></logger>
  <listen_host>127.0.0.1</listen_host>
  <http_port>${httpPort}</http_port>
  <tcp_port>${tcpPort}</tcp_port>
  <path>${join(dir, 'data')}/</path>
  <tmp_path>${join(dir, 'tmp')}/</tmp_path>
  <user_files_path>${join(dir, 'user_files')}/</user_files_path>
  <format_schema_path>${join(dir, 'format_schemas')}/</format_schema_path>
  <mark_cache_size>268435456</mark_cache_size>
  <user_directories><users_xml><path>${join(dir, 'config.xml')}</path></users_xml></user_directories>
  <users>
    <default>
      <password></password>
      <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
      <profile>default</profile>
      <quota>default</quota>
      <access_management>1</access_management>
    </default>
  </users>
  <profiles><default/></profiles>
  <quotas><default/></quotas>
</clickhouse>
`;
}
