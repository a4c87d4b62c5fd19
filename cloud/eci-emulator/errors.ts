// ECI-style API errors: an HTTP status plus the `Code`/`Message` pair the real service returns.
// Every layer (signature, validation, state machine, faults) throws EciError; the HTTP layer renders it.

export class EciError extends Error {
  constructor(
    readonly httpStatus: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'EciError';
  }
}

export const missingParameter = (name: string): EciError =>
  new EciError(400, 'MissingParameter', `The input parameter "${name}" that is mandatory for processing this request is not supplied.`);

export const invalidParameter = (name: string, why: string): EciError =>
  new EciError(400, 'InvalidParameter', `The specified parameter "${name}" is not valid: ${why}`);

export const groupNotFound = (id: string): EciError =>
  new EciError(404, 'InvalidContainerGroupId.NotFound', `The specified container group "${id}" does not exist.`);

export const incorrectStatus = (why: string): EciError => new EciError(400, 'IncorrectStatus', why);
