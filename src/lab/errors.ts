/** What can stop the lab, told apart by code (the CLI prints the message as one line). */
export type LabErrorCode =
  /** The scenario file is not valid YAML or breaks the schema: nothing was started. */
  | "BAD_SCENARIO"
  /** The scenario asks something of the network that cannot be (a peer that does not exist, a group of nobody). */
  | "BAD_TARGET"
  /** The backend cannot do a fault (scale on local processes) or an option needs what is missing (root for --net real). */
  | "UNSUPPORTED"
  /** A backend operation failed while the run was under way. */
  | "BACKEND"
  /** The run was interrupted (Ctrl-C). */
  | "INTERRUPTED";

export class LabError extends Error {
  constructor(
    readonly code: LabErrorCode,
    message: string,
    readonly fields: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
    this.name = "LabError";
  }
}
