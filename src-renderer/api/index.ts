export { connectApi } from './connect.ts';
export { createHttpClient, type HttpClientOptions, type WebSocketConstructor, type WebSocketLike } from './http-client.ts';
export { createIpcClient } from './ipc-client.ts';
export type { ConnectionState, RendererApiClient } from './client-types.ts';
