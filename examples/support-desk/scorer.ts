import { defineScorer } from 'fapo';

interface Expected {
  kind: 'status' | 'cancel';
  order: string;
  status?: string;
  cancellable?: boolean;
}

interface Shop {
  orders: { id: string; status: string }[];
}

/**
 * Status questions: the reply must name the order's status. Cancellation requests: the final database
 * must have that order cancelled exactly when policy allows it, and no other order cancelled.
 */
export default defineScorer(({ case: c, output, finalState }) => {
  const expected = c.expected as Expected;
  const reply = String(output ?? '').toLowerCase();
  if (expected.kind === 'status') {
    const named = ['processing', 'shipped', 'delivered', 'cancelled'].filter((s) => reply.includes(s));
    const ok = named.length === 1 && named[0] === expected.status;
    return { score: ok ? 1 : 0, feedback: ok ? 'correct status' : `expected status "${expected.status}"` };
  }
  const orders = (finalState as Shop).orders;
  const target = orders.find((o) => o.id === expected.order);
  const cancelled = target?.status === 'cancelled';
  const collateral = orders.filter((o) => o.id !== expected.order && o.status === 'cancelled').length;
  const ok = cancelled === expected.cancellable && collateral === 0;
  const feedback = ok
    ? 'database in the expected state'
    : expected.cancellable
      ? `order ${expected.order} should have been cancelled`
      : `order ${expected.order} must not be cancelled (policy)`;
  return { score: ok ? 1 : 0, breakdown: { state: ok ? 1 : 0 }, feedback };
});
