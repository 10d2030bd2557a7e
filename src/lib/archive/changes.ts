// The changes between two directory trees by Docker 1.10's ChangesDirs rules (formats.md §2.5):
// a parallel walk that prunes names sharing an inode on the same device, then a comparison of
// lstat data (never contents) and of the security.capability xattr. Hand-written because the
// result must match Docker's quirks exactly (directory mtimes ignored, the S_IFDIR bit test that
// also skips times of block devices and sockets, ancestors emitted as Modify).
import { promises as fsp, type BigIntStats } from 'node:fs';
import { getXattr } from '../fs/special.js';
import { joinAbs, lstatOrNone, readdirSorted } from '../fs/walk.js';

export type ChangeKind = 'add' | 'modify' | 'delete';

export interface Change {
  /** Relative path, latin1 bytes, no leading "/" (Docker's "/a/b" is "a/b" here). */
  path: string;
  kind: ChangeKind;
}

interface Node {
  name: string;
  st: BigIntStats;
  cap?: Buffer;
  children: Map<string, Node>;
}

const S_IFDIR = 0o040000n;

async function capability(abs: Buffer): Promise<Buffer | undefined> {
  return getXattr(abs, 'security.capability').catch(() => undefined);
}

/** Step 1: both trees, with names that share an inode on the same device left out of both. */
async function collect(newRoot: Buffer, oldRoot: Buffer): Promise<[Node, Node]> {
  const mk = async (abs: Buffer, name: string, st: BigIntStats): Promise<Node> => ({ name, st, cap: await capability(abs), children: new Map() });
  const n = await mk(newRoot, '', await fsp.lstat(newRoot, { bigint: true }));
  const o = await mk(oldRoot, '', await fsp.lstat(oldRoot, { bigint: true }));
  const visit = async (rel: string, nNode: Node | undefined, oNode: Node | undefined): Promise<void> => {
    const nDir = nNode?.st.isDirectory() ?? false, oDir = oNode?.st.isDirectory() ?? false;
    if (!nDir && !oDir) return;
    const sameDevice = nNode !== undefined && oNode !== undefined && nNode.st.dev === oNode.st.dev;
    const nNames = nDir ? await readdirSorted(rel === '' ? newRoot : joinAbs(newRoot, rel)) : [];
    const oNames = oDir ? await readdirSorted(rel === '' ? oldRoot : joinAbs(oldRoot, rel)) : [];
    const oSet = new Set(oNames);
    const names = [...new Set([...nNames, ...oNames])].sort((a, b) => Buffer.compare(Buffer.from(a, 'latin1'), Buffer.from(b, 'latin1')));
    const nSet = new Set(nNames);
    for (const name of names) {
      const childRel = rel === '' ? name : `${rel}/${name}`;
      const nAbs = joinAbs(newRoot, childRel), oAbs = joinAbs(oldRoot, childRel);
      const nSt = nSet.has(name) ? await lstatOrNone(nAbs) : undefined;
      const oSt = oSet.has(name) ? await lstatOrNone(oAbs) : undefined;
      // Docker compares getdents inode numbers; lstat's are the same numbers.
      if (nSt && oSt && sameDevice && nSt.ino === oSt.ino) continue;
      const nChild = nSt ? await mk(nAbs, name, nSt) : undefined;
      const oChild = oSt ? await mk(oAbs, name, oSt) : undefined;
      if (nChild) nNode!.children.set(name, nChild);
      if (oChild) oNode!.children.set(name, oChild);
      await visit(childRel, nChild, oChild);
    }
  };
  await visit('', n, o);
  return [n, o];
}

function sameTime(a: BigIntStats, b: BigIntStats): boolean {
  const as = a.mtimeNs / 1_000_000_000n, bs = b.mtimeNs / 1_000_000_000n;
  const an = a.mtimeNs % 1_000_000_000n, bn = b.mtimeNs % 1_000_000_000n;
  return as === bs && (an === bn || an === 0n || bn === 0n);
}

function statDifferent(o: BigIntStats, n: BigIntStats): boolean {
  if (o.mode !== n.mode || o.uid !== n.uid || o.gid !== n.gid || o.rdev !== n.rdev) return true;
  // Docker tests the S_IFDIR bit alone, which block devices and sockets also carry.
  return (o.mode & S_IFDIR) !== S_IFDIR && (!sameTime(o, n) || o.size !== n.size);
}

/** Docker's FileInfo.isDir: the root, or any mode with the S_IFDIR bit. */
const isDirish = (n: Node, isRoot: boolean) => isRoot || (n.st.mode & S_IFDIR) !== 0n;

/** Changes of `newDir` relative to `oldDir`, sorted by path as Docker's ExportChanges sorted them. */
export async function changesDirs(newDir: string, oldDir: string): Promise<Change[]> {
  const [newTree, oldTree] = await collect(Buffer.from(newDir), Buffer.from(oldDir));
  const out: Change[] = [];
  const add = (node: Node, old: Node | undefined, rel: string, isRoot: boolean, added: boolean): void => {
    const atEntry = out.length;
    if (!old) {
      out.push({ path: rel, kind: 'add' });
      added = true;
    }
    const oldChildren = new Map(old && isDirish(node, isRoot) ? old.children : []);
    for (const [name, child] of node.children) {
      const childRel = rel === '' ? name : `${rel}/${name}`;
      const oldChild = oldChildren.get(name);
      let childAdded = false;
      if (oldChild) {
        if (statDifferent(oldChild.st, child.st) || Buffer.compare(oldChild.cap ?? Buffer.alloc(0), child.cap ?? Buffer.alloc(0)) !== 0) {
          out.push({ path: childRel, kind: 'modify' });
          childAdded = true;
        }
        oldChildren.delete(name);
      }
      add(child, oldChild, childRel, false, childAdded);
    }
    for (const name of oldChildren.keys()) out.push({ path: rel === '' ? name : `${rel}/${name}`, kind: 'delete' });
    if (out.length > atEntry && isDirish(node, isRoot) && !added && !isRoot) out.splice(atEntry, 0, { path: rel, kind: 'modify' });
  };
  add(newTree, oldTree, '', true, false);
  // Docker sorts "/a/b" strings byte-wise; with the common leading "/" dropped the order is the same.
  const keyed = out.map((c) => ({ c, k: Buffer.from(c.path, 'latin1') }));
  keyed.sort((a, b) => Buffer.compare(a.k, b.k));
  return keyed.map((x) => x.c);
}
