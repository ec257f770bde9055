import { UserError } from '@platformatic/kafka';
import { describe, expect, it } from 'vitest';
import { hasKafkaError, kafkaCodeOf, toTransportError } from '../../../src/transport/platformatic/platformatic-errors.js';

describe('platformatic transport: error mapping', () => {
  it("reads the library's 'Unknown topic' UserError (a topic not in a broker's metadata yet) as UNKNOWN_TOPIC_OR_PARTITION", () => {
    // On a cluster a new topic reaches the other brokers' metadata a moment after CreateTopics returns.
    const e = new UserError('Unknown topic failover-in-10f318cc.');
    expect(hasKafkaError(e, 'UNKNOWN_TOPIC_OR_PARTITION')).toBe(true);
    expect(kafkaCodeOf(e)).toBe('RIVULET_TRANSPORT_UNKNOWN_TOPIC_OR_PARTITION');
    expect(toTransportError('Transport.createTopics', e).code).toBe('RIVULET_TRANSPORT_UNKNOWN_TOPIC_OR_PARTITION');
  });

  it('other UserErrors stay what they are', () => {
    const e = new UserError('Unknown option foo.');
    expect(hasKafkaError(e, 'UNKNOWN_TOPIC_OR_PARTITION')).toBe(false);
    expect(kafkaCodeOf(e)).toBeUndefined();
  });
});
