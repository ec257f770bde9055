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

  it("a leader lookup that failed inside the library (leader unknown while a broker is down) is retriable NOT_CONNECTED, not ILLEGAL_STATE", () => {
    const e = new Error('listOffsets failed', { cause: new TypeError("Cannot read properties of undefined (reading 'host')") });
    const err = toTransportError('Transport.listOffsets', e);
    expect(err).toMatchObject({ code: 'RIVULET_TRANSPORT_NOT_CONNECTED', retriable: true });
    // Any other TypeError is a bug, not a transient state.
    expect(toTransportError('Transport.listOffsets', new TypeError('x is not a function'))).toMatchObject({ retriable: false });
  });
});
