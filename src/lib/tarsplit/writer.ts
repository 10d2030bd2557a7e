// Writes tar-split JSON lines through gzip, assigning positions and enforcing the duplicate rule.
import { createGzip, type Gzip } from 'node:zlib';
import { goClean, latin1 } from '../fs/gopath.js';
import { encodeEntry, FILE_TYPE, type Entry } from './entry.js';

type NewEntry = Entry extends infer E ? (E extends Entry ? Omit<E, 'position'> : never) : never;

export class TarSplitPacker {
  private pos = 0;
  private readonly seen = new Set<string>();
  readonly gzip: Gzip = createGzip();

  add(e: NewEntry): void {
    if (e.type === FILE_TYPE) {
      const c = goClean(latin1(e.name));
      if (this.seen.has(c)) throw new Error(`duplicates of file paths not supported: ${JSON.stringify(e.name.toString('utf8'))}`);
      this.seen.add(c);
    }
    this.gzip.write(encodeEntry({ ...e, position: this.pos++ } as Entry));
  }

  end(): void {
    this.gzip.end();
  }
}
