/**
 * The local Alpaca server (tests/broker_alpaca_server.ts) as its own process, so it outlives
 * the paper loops a kill test kills. Prints one JSON line `{ url, control }` on stdout, then
 * serves until killed. Control routes (loopback): `POST /price {symbol, price}` sets the trade
 * price (what a venue's market would do), `GET /state` returns the server's own record:
 * orders (client id, status, qty, filled qty, average price), positions, and every client
 * order id POSTed (to count re-submissions).
 */
import { AlpacaServer } from "./broker_alpaca_server.ts";

const server = new AlpacaServer();
const control = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
  const u = new URL(req.url);
  if (req.method === "POST" && u.pathname === "/price") {
    const b = await req.json() as { symbol: string; price: number };
    server.setPrice(b.symbol, b.price);
    return new Response("ok");
  }
  if (req.method === "GET" && u.pathname === "/state") {
    const orders = [...server.orders.values()].map((o) => ({
      clientOrderId: o.client_order_id,
      status: o.status,
      side: o.side,
      qty: Number(o.qty),
      filledQty: Number(o.filled_qty),
      avgPrice: o.filled_avg_price === null ? null : Number(o.filled_avg_price),
      symbol: o.symbol,
    }));
    const posted = server.log.filter((l) => l.method === "POST" && l.path === "/v2/orders")
      .map((l) => {
        try {
          return String(JSON.parse(l.body).client_order_id);
        } catch {
          return "(unparseable)";
        }
      });
    const positions = [...server.positions].map(([symbol, p]) => ({ symbol, qty: p.qty }));
    return Response.json({ orders, positions, posted });
  }
  return new Response("not found", { status: 404 });
});
console.log(JSON.stringify({ url: server.url, control: `http://127.0.0.1:${control.addr.port}` }));
