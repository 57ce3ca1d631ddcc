// A loopback TCP proxy that can stall: a stand-in for a network that stops
// delivering packets, put *in front of* a real service (MLflow, Prometheus)
// to inject the fault. Not a mock: while it passes traffic the client talks
// to the real service byte for byte.
//
//   pass   connections are piped to the target both ways
//   stall  nothing moves: open connections stop forwarding, new ones are
//          accepted and held without a byte in either direction — the
//          client sees a connection that never answers (its timeouts fire)
//   heal() the held connections are reset (as a partition that outlived the
//          peers' TCP timeouts would leave them) and new ones pass again
import { createConnection, createServer, type Server, type Socket } from 'node:net';

export interface StallProxy {
  readonly url: string;
  readonly port: number;
  stall(): void;
  heal(): void;
  /** Connections held while stalled, since the proxy started. */
  readonly stalledConnections: number;
  close(): Promise<void>;
}

export async function startStallProxy(target: { host: string; port: number }): Promise<StallProxy> {
  let stalled = false;
  let stalledCount = 0;
  const open = new Set<{ client: Socket; upstream?: Socket }>();
  const held = new Set<Socket>();

  const hold = (socket: Socket) => {
    socket.pause();
    held.add(socket);
    socket.once('close', () => held.delete(socket));
  };

  const server: Server = createServer((client) => {
    client.on('error', () => {});
    if (stalled) {
      stalledCount++;
      hold(client);
      return;
    }
    const upstream = createConnection(target);
    upstream.on('error', () => client.destroy());
    const pair = { client, upstream };
    open.add(pair);
    client.pipe(upstream);
    upstream.pipe(client);
    const done = () => {
      open.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.once('close', done);
    upstream.once('close', done);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;

  const proxy: StallProxy = {
    url: `http://127.0.0.1:${port}`,
    port,
    get stalledConnections() {
      return stalledCount;
    },
    stall() {
      stalled = true;
      for (const { client, upstream } of open) {
        stalledCount++;
        client.unpipe();
        upstream?.unpipe();
        hold(client);
        if (upstream) hold(upstream);
      }
      open.clear();
    },
    heal() {
      stalled = false;
      for (const socket of held) socket.destroy();
      held.clear();
    },
    async close() {
      proxy.heal();
      for (const { client, upstream } of open) {
        client.destroy();
        upstream?.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return proxy;
}
