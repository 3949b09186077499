/**
 * The `sim:replies` behaviour: a deterministic toy support agent for the feedback walkthrough
 * (examples/feedback: traces and feedback -> `fapo assets` -> a judge-scored task -> `fapo optimize`).
 * It is NOT a language model. It recognises the customer's topic and writes a polite two-line reply;
 * it adds the topic's policy section only when its instructions mention a policy, and a concrete next
 * step only when they mention a next step. Those are the two gaps the walkthrough's reviewers flag.
 */
import type { SimCall } from '../models/sim.ts';

const TOPICS = [
  {
    match: /refund|money back|charged/i,
    topic: 'refund',
    policy: 'refunds are issued within 5 days of the return (policy section 4.2)',
    next: 'send the return label we emailed you, and the refund follows',
  },
  {
    match: /parcel|shipping|delivery|tracking/i,
    topic: 'delivery',
    policy: 'late parcels are re-sent free after 7 days (policy section 2.1)',
    next: 'reply with your order number and we re-send the parcel today',
  },
  {
    match: /password|log ?in|account locked/i,
    topic: 'account access',
    policy: 'reset links expire after 1 hour (policy section 6.3)',
    next: 'use the new reset link we just sent, within the hour',
  },
  {
    match: /subscription|cancel|renewal|plan/i,
    topic: 'subscription',
    policy: 'a plan can be cancelled any time before renewal (policy section 3.4)',
    next: 'open Settings > Plan > Cancel, or reply "cancel" and we do it for you',
  },
];

export function simReplies(call: SimCall): string {
  const instructions = call.messages.find((m) => m.role === 'system')?.content ?? '';
  const request = call.messages.find((m) => m.role === 'user')?.content ?? '';
  const t = TOPICS.find((x) => x.match.test(request));
  if (!t) return 'Thanks for your message. We are looking into it.';
  const lines = [`Thanks for your message about your ${t.topic}. We are looking into it.`];
  if (/polic/i.test(instructions)) lines.push(`Per our policy, ${t.policy}.`);
  if (/next step/i.test(instructions)) lines.push(`Next step: ${t.next}.`);
  return lines.join(' ');
}
