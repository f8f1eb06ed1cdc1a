/**
 * Which directory entries a store's files depend on: the entries whose change (an
 * edit, a replacement by rename, a deletion, a creation, a symlink swapped) changes
 * what a read of the file gives. For a plain file that is its own entry; for a path
 * through symlinks it is every symlink on the way and the final file, each in its
 * own directory. A Kubernetes secret volume is the case in point: `DIR/key` links to
 * `..data/key` and `..data` links to a timestamped directory; an update creates a
 * new directory and renames a new `..data` over the old, so the only event in `DIR`
 * is for `..data`, and none for `key` itself.
 *
 * A missing entry is a target too: its creation is what makes the file readable.
 */
import type { Stats } from 'node:fs';
import { lstat, readlink } from 'node:fs/promises';
import path from 'node:path';

/** The kernel's own limit on symlinks followed in one lookup (ELOOP). */
const MAX_SYMLINKS = 40;

/** Directory to the names in it that matter. */
export type WatchTargets = ReadonlyMap<string, ReadonlySet<string>>;

/** Adds `dir`/`name` to `targets`. */
function add(targets: Map<string, Set<string>>, dir: string, name: string): void {
  const names = targets.get(dir) ?? new Set<string>();
  names.add(name);
  targets.set(dir, names);
}

/** Follows `file` (absolute) component by component, recording symlinks and the end. */
async function follow(file: string, targets: Map<string, Set<string>>): Promise<void> {
  let pending = path.resolve(file);
  for (let hops = 0; hops <= MAX_SYMLINKS; hops++) {
    const { root } = path.parse(pending);
    const parts = pending
      .slice(root.length)
      .split(path.sep)
      .filter((part) => part !== '');
    let dir = root;
    let relinked = false;
    for (const [index, name] of parts.entries()) {
      const entry = path.join(dir, name);
      let stat: Stats;
      try {
        stat = await lstat(entry);
      } catch {
        // Missing (or unreadable): wait for this entry to appear or change.
        add(targets, dir, name);
        return;
      }
      if (stat.isSymbolicLink()) {
        add(targets, dir, name);
        let target: string;
        try {
          target = await readlink(entry);
        } catch {
          return;
        }
        pending = path.resolve(dir, target, ...parts.slice(index + 1));
        relinked = true;
        break;
      }
      if (index === parts.length - 1 || !stat.isDirectory()) {
        // The end, or a file where a directory should be: only its replacement matters.
        add(targets, dir, name);
        return;
      }
      dir = entry;
    }
    if (!relinked) {
      return;
    }
  }
}

/** The entries `files` depend on, by directory (see the module comment). */
export async function watchTargets(files: readonly string[]): Promise<WatchTargets> {
  const targets = new Map<string, Set<string>>();
  for (const file of files) {
    await follow(file, targets);
  }
  return targets;
}
