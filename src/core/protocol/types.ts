/** The JSON command body of restcmd (cmdlib `Command`). */
export interface RestCommand {
  id: string;
  data: { modules?: Array<{ match: string; data: Record<string, unknown> }> } & Record<string, unknown>;
  /** Upper-case FSM state names; missing means ANY. */
  entry_state?: string;
  exit_state?: string;
}

/** The asynchronous answer an application posts back to `/response`. */
export interface CommandReply {
  success: boolean;
  result: string;
  appname: string;
  /** The command id (from `data.cmdid`). */
  cmdid: string;
  data: Record<string, unknown>;
}

export interface Endpoint {
  host: string;
  port: number;
}
