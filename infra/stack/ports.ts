// Port checks for the local stack: a clear message before a service fails to
// bind, and free ports for tests so two runs on one machine cannot collide.
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';

/** True when nothing listens on host:port (we can bind it ourselves). */
export function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/**
 * The kernel's range for outgoing connections' local ports. A port picked
 * there (what binding port 0 returns) can be taken by any process's next
 * outgoing connection before the service that was to listen on it starts;
 * ports below it are only ever taken by listeners.
 */
function ephemeralLow(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > 12_000 ? low : 0;
  } catch {
    return 0;
  }
}

function bind(port: number, host: string): Promise<Server | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(undefined));
    server.listen({ port, host, exclusive: true }, () => resolve(server));
  });
}

/**
 * Several distinct free ports, each held until all are chosen so none
 * repeats: random ones below the outgoing-connection range where the system
 * has one (Linux), else whatever the system hands out.
 */
export async function freePorts(count: number, host = '127.0.0.1'): Promise<number[]> {
  const low = ephemeralLow();
  const held: Server[] = [];
  try {
    for (let tries = 0; held.length < count; tries++) {
      const port = low && tries < 200 ? 10_000 + Math.floor(Math.random() * (low - 10_000)) : 0;
      const server = await bind(port, host);
      if (server) held.push(server);
      else if (port === 0) throw new Error(`no free port on ${host}`);
    }
    return held.map((s) => {
      const address = s.address();
      return typeof address === 'object' && address ? address.port : 0;
    });
  } finally {
    await Promise.all(held.map((s) => new Promise((r) => s.close(r))));
  }
}
