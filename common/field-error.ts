// A problem with one field of a configuration: the path to fix (`tenants.acme.policy.ramRoles`) and what is
// wrong with it. Parsers of config parts throw it; each front end turns it into its own message and exit.
export class FieldError extends Error {
  constructor(
    readonly field: string,
    readonly problem: string,
  ) {
    super(`${field}: ${problem}`);
    this.name = 'FieldError';
  }
}
