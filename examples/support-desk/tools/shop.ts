import { defineTool, z } from 'fapo';

/** The shop's database (env/db.json); each case gets its own copy as `ctx.state`. */
interface Shop {
  customers: { id: string; email: string; name: string }[];
  orders: { id: string; customer_id: string; item: string; status: string; total: number }[];
}

const findCustomer = defineTool<{ email: string }, Shop>({
  name: 'find_customer',
  description: 'Find a customer by email address. Returns {id, email, name}.',
  input: z.object({ email: z.string() }),
  run: ({ email }, { state }) => {
    const customer = state.customers.find((c) => c.email === email.trim().toLowerCase());
    if (!customer) throw new Error(`no customer with email ${email}`);
    return customer;
  },
});

const listOrders = defineTool<{ customer_id: string }, Shop>({
  name: 'list_orders',
  description: "List a customer's orders: [{id, item, status, total}].",
  input: z.object({ customer_id: z.string() }),
  run: ({ customer_id }, { state }) =>
    state.orders
      .filter((o) => o.customer_id === customer_id)
      .map(({ id, item, status, total }) => ({ id, item, status, total })),
});

const getOrder = defineTool<{ order_id: string }, Shop>({
  name: 'get_order',
  description: 'Get one order by id.',
  input: z.object({ order_id: z.string() }),
  run: ({ order_id }, { state }) => {
    const order = state.orders.find((o) => o.id === order_id);
    if (!order) throw new Error(`no order ${order_id}`);
    return order;
  },
});

const cancelOrder = defineTool<{ order_id: string }, Shop>({
  name: 'cancel_order',
  description: 'Cancel an order. Only orders whose status is processing can be cancelled.',
  input: z.object({ order_id: z.string() }),
  run: ({ order_id }, { state }) => {
    const order = state.orders.find((o) => o.id === order_id);
    if (!order) throw new Error(`no order ${order_id}`);
    if (order.status !== 'processing') throw new Error(`order ${order_id} is ${order.status} and cannot be cancelled`);
    order.status = 'cancelled';
    return { id: order.id, status: order.status };
  },
});

export default [findCustomer, listOrders, getOrder, cancelOrder];
