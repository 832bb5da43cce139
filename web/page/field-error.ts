/** A refusal that names the request field to fix: the form marks that control (aria-invalid). */
export class FieldError extends Error {
  readonly field: string | undefined;

  constructor(message: string, field?: string) {
    super(message);
    this.name = 'FieldError';
    this.field = field;
  }
}
