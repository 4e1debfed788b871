import { describe, expect, it } from 'vitest';
import { capabilitiesOf } from './server-capabilities.js';

describe('capabilitiesOf', () => {
  it('turns features on by server version', () => {
    expect(capabilitiesOf('18.16.1')).toMatchObject({
      dateTime64: false,
      lowCardinality: false,
      ttl: false,
      dedupToken: false,
    });
    expect(capabilitiesOf('19.6.2')).toMatchObject({
      lowCardinality: true,
      ttl: true,
      dateTime64: false,
    });
    expect(capabilitiesOf('26.7.2.1')).toMatchObject({
      dateTime64: true,
      dedupToken: true,
      skipIndexes: true,
    });
  });

  it('rejects a reply that is not a version', () => {
    expect(() => capabilitiesOf('<html>')).toThrow(/not a ClickHouse version/);
  });
});
