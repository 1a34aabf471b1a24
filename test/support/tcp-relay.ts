import { createServer, connect, type Server, type Socket } from 'node:net';
import { freePort } from './net.ts';

/**
 * A TCP relay on a loopback port in front of `targetPort` that can be "down": then every new connection is
 * dropped, and `down = true` also cuts the connections already open (kept-alive ones included) — a real
 * network fault, not a thrown error.
 */
export interface TcpRelay {
  port: number;
  setDown(down: boolean): void;
  close(): void;
}

export async function startTcpRelay(targetPort: number, opts: { down?: boolean } = {}): Promise<TcpRelay> {
  let down = opts.down ?? false;
  const open = new Set<Socket>();
  const server: Server = createServer((socket) => {
    if (down) return socket.destroy();
    open.add(socket);
    socket.on('close', () => open.delete(socket));
    const upstream = connect(targetPort, '127.0.0.1');
    socket.pipe(upstream).pipe(socket);
    socket.on('error', () => upstream.destroy());
    upstream.on('error', () => socket.destroy());
  });
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
  return {
    port,
    setDown(value) {
      down = value;
      if (down) for (const s of open) s.destroy();
    },
    close() {
      for (const s of open) s.destroy();
      server.close();
    },
  };
}
