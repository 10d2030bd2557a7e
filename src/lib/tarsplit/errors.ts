// The one error of reassembly that is about content, not format: a file differs from what the
// tar-split recorded (Go tar-split's message, formats.md §5.5).
export class CrcMismatchError extends Error {
  constructor(readonly file: string) {
    super(`file integrity checksum failed for ${JSON.stringify(file)}`);
  }
}
