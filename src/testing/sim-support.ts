/**
 * The `sim:support` behaviour: a deterministic toy agent for the support-desk example (examples/
 * support-desk). It is NOT a language model and says nothing about how a real model would do; it
 * exists so the agent example, its demo and the tests run offline while reacting to prompts the way
 * the example needs to show:
 *
 * - It reads the customer's email, the item and the intent (status or cancel) from the request.
 * - Unless its instructions tell it to use its tools ("look up", "use your tools", "never answer from
 *   memory", "never guess"), it answers from "memory": it says every order is processing and claims
 *   cancellations were done, calling no tool. That is the failure the optimizer should find.
 * - Told to use its tools, it walks find_customer → list_orders → (cancel_order when the order is
 *   processing) and answers from the results; a tool error ends the walk with an apology.
 */
import type { ChatMessage } from '../models/types.ts';
import type { SimCall, SimToolTurn } from '../models/sim.ts';

const USE_TOOLS = /look up|use (your|the) tools|never answer from memory|never guess|call the \w+ tool/i;

interface Order {
  id: string;
  item: string;
  status: string;
}

export function simSupport(call: SimCall): string | SimToolTurn {
  const instructions = call.messages.find((m) => m.role === 'system')?.content ?? '';
  const request = call.messages.find((m) => m.role === 'user')?.content ?? '';
  const email = /[a-z0-9.]+@[a-z0-9.]+\.[a-z]+/i.exec(request)?.[0];
  const item = /my (.+?) order/i.exec(request)?.[1];
  const cancel = /\bcancel\b/i.test(request);
  const canCall = call.tools !== undefined && call.toolChoice !== 'none';

  if (!USE_TOOLS.test(instructions) || !canCall || !email || !item) {
    return cancel ? `Done: your ${item ?? ''} order has been cancelled.` : `Your ${item ?? ''} order is processing.`;
  }
  const results = toolResults(call.messages);
  const failed = results.find((r) => r.text.startsWith('Error'));
  if (failed) return `Sorry, I could not complete that: ${failed.text}`;
  const customer = results.find((r) => r.tool === 'find_customer');
  if (!customer) return { toolCalls: [{ name: 'find_customer', args: { email } }] };
  const orders = results.find((r) => r.tool === 'list_orders');
  if (!orders)
    return { toolCalls: [{ name: 'list_orders', args: { customer_id: parse<{ id: string }>(customer.text).id } }] };
  const order = parse<Order[]>(orders.text).find((o) => o.item === item);
  if (!order) return `I could not find a ${item} order for ${email}.`;
  if (!cancel) return `Your ${item} order (${order.id}) is ${order.status}.`;
  if (order.status !== 'processing')
    return `Order ${order.id} is ${order.status} and cannot be cancelled; a return is possible.`;
  if (!results.some((r) => r.tool === 'cancel_order'))
    return { toolCalls: [{ name: 'cancel_order', args: { order_id: order.id } }] };
  return `Your ${item} order (${order.id}) is now cancelled.`;
}

function toolResults(messages: ChatMessage[]): { tool: string; text: string }[] {
  return messages.filter((m) => m.role === 'tool').map((m) => ({ tool: m.toolName ?? '', text: m.content }));
}

function parse<T>(text: string): T {
  return JSON.parse(text) as T;
}
