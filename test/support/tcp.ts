import net from 'node:net';

export interface TcpServer {
  port: number;
  close(): Promise<void>;
}

/** A loopback TCP server with a per-connection handler; close() also ends live connections. */
export async function tcpServer(onConnection: (socket: net.Socket) => void): Promise<TcpServer> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.once('close', () => sockets.delete(socket));
    onConnection(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

export const echoServer = () => tcpServer((socket) => socket.pipe(socket));

export function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1' }, () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Sends `bytes` and resolves when as many bytes came back (one round trip on an echo server). */
export function roundTrip(socket: net.Socket, bytes = Buffer.from('ping')): Promise<number> {
  return new Promise((resolve) => {
    const started = performance.now();
    let got = 0;
    const onData = (chunk: Buffer) => {
      got += chunk.length;
      if (got >= bytes.length) {
        socket.off('data', onData);
        resolve(performance.now() - started);
      }
    };
    socket.on('data', onData);
    socket.write(bytes);
  });
}

/** Everything a socket receives until it closes, with how it closed and when. */
export function collect(socket: net.Socket): Promise<{ data: Buffer; chunks: number; error: string | null; closedAt: number }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let error: string | null = null;
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', (e: NodeJS.ErrnoException) => (error = e.code ?? e.message));
    socket.once('close', () => resolve({ data: Buffer.concat(chunks), chunks: chunks.length, error, closedAt: performance.now() }));
  });
}

export const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
