export type { CommandReply, Endpoint, RestCommand } from './types';
export { CommandError, isCommandError, type CommandErrorKind, type CommandErrorDetails } from './errors';
export { isPreparedCommand, postCommand, prepareCommand, type PostOptions, type PreparedCommand } from './restcmd-client';
export {
  ResponseListener,
  type ExpectHandle,
  type ExpectOptions,
  type ListenerLogLevel,
  type MalformedReplyInfo,
  type ResponseListenerOptions,
} from './response-listener';
export { parseReplyBody, type ParsedReply } from './reply-parse';
export { sendCommand, type SendCommandOptions } from './command';
export { tcpPing } from './ping';
/** Closes the idle connections of the restcmd pool (tests, shutdown); new ones are made on next use. */
export { resetSharedPool as resetSharedAgent } from './lean-http';
