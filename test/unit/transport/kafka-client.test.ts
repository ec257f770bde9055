import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/errors.js';
import { resolveConfig } from '../../../src/runtime/streams-config.js';
import { DEFAULT_KAFKA_CLIENT, KAFKA_CLIENT_ENV, kafkaClient } from '../../../src/transport/create-transport.js';

describe('choice of the Kafka client', () => {
  const saved = process.env[KAFKA_CLIENT_ENV];
  afterEach(() => {
    if (saved === undefined) delete process.env[KAFKA_CLIENT_ENV];
    else process.env[KAFKA_CLIENT_ENV] = saved;
  });

  it('the configured client wins over RIVULET_KAFKA_CLIENT, which wins over the default', () => {
    delete process.env[KAFKA_CLIENT_ENV];
    expect(kafkaClient()).toBe(DEFAULT_KAFKA_CLIENT);
    process.env[KAFKA_CLIENT_ENV] = 'platformatic';
    expect(kafkaClient()).toBe('platformatic');
    expect(kafkaClient('kafkajs')).toBe('kafkajs');
    process.env[KAFKA_CLIENT_ENV] = 'kafkajs';
    expect(kafkaClient()).toBe('kafkajs');
  });

  it('a bad name in the environment or the config fails, naming the choices', () => {
    process.env[KAFKA_CLIENT_ENV] = 'rdkafka';
    expect(() => kafkaClient()).toThrow(/RIVULET_KAFKA_CLIENT must be 'platformatic' or 'kafkajs' \(got "rdkafka"\)/);
    expect(() => resolveConfig({ applicationId: 'a', kafkaClient: 'rdkafka' as never })).toThrow(ConfigError);
    expect(resolveConfig({ applicationId: 'a', kafkaClient: 'platformatic' }).kafkaClient).toBe('platformatic');
  });
});
