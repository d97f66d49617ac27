/**
 * Which user a container runs as: `securityContext.runAsUser`/`runAsGroup` (container, then pod),
 * else the image's `User` (`name`, `uid`, `name:group`, `uid:gid`), looked up in the image's own
 * /etc/passwd and /etc/group, as container runtimes do.
 *
 * Supplementary groups, in containerd's order: the primary group; with `supplementalGroupsPolicy:
 * Merge` (the default) the groups the image's /etc/group lists the user's name in; then the pod's
 * `supplementalGroups` and its `fsGroup`. `Strict` leaves the image's /etc/group out, so only the
 * groups the manifest names are held. The list is always set (setgroups), root included: a
 * container never keeps the supervisor's own supplementary groups.
 */
import { readImageFile } from '../image/layer-view.js';
import type { Container, ImageConfig, Pod } from '../manifest/types.js';

export interface User {
  uid: number;
  gid: number;
  groups: number[];
}

interface Entry {
  name: string;
  id: number;
  gid?: number;
  members?: string[];
}

/** Read a passwd/group file of the image, through its layers; never through a symlink (it could point at the host's). */
function readDb(lowerDirs: string[], file: string): string {
  try {
    return readImageFile(lowerDirs, file) ?? '';
  } catch {
    return '';
  }
}

export function parseDb(text: string, kind: 'passwd' | 'group'): Entry[] {
  return text
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .flatMap((l): Entry[] => {
      // name:password:id:... (a line too short, or whose id is not a number, names nobody)
      const [name = '', , id = '', fourth = ''] = l.split(':');
      if (!/^\d+$/.test(id)) return [];
      return kind === 'passwd'
        ? [{ name, id: Number(id), gid: /^\d+$/.test(fourth) ? Number(fourth) : 0 }]
        : [{ name, id: Number(id), members: fourth.split(',').filter(Boolean) }];
    });
}

function lookup(db: Entry[], spec: string, what: string, image: string): Entry {
  const e = /^\d+$/.test(spec)
    ? (db.find((x) => x.id === Number(spec)) ?? { name: spec, id: Number(spec) })
    : db.find((x) => x.name === spec);
  if (!e)
    throw new Error(
      `image "${image}": ${what} "${spec}" is not in the image's /etc/${what === 'user' ? 'passwd' : 'group'}`,
    );
  return e;
}

/** The user and groups a container's process gets. */
export function resolveUser(
  pod: Pod,
  c: Container,
  image: { ref: string; lowerDirs: string[]; config: ImageConfig },
): User {
  const sc = c.securityContext ?? {};
  const psc = pod.spec.securityContext;
  const runAsUser = sc.runAsUser ?? psc.runAsUser;
  const runAsGroup = sc.runAsGroup ?? psc.runAsGroup;
  const extra = [...(psc.supplementalGroups ?? []), ...(psc.fsGroup !== undefined ? [psc.fsGroup] : [])];
  const imageUser = image.config.User ?? '';

  const passwd = parseDb(readDb(image.lowerDirs, 'etc/passwd'), 'passwd');
  const group = parseDb(readDb(image.lowerDirs, 'etc/group'), 'group');
  const [userPart, groupPart] = imageUser.split(':');
  const user =
    runAsUser !== undefined
      ? (passwd.find((e) => e.id === runAsUser) ?? { name: '', id: runAsUser, gid: 0 })
      : userPart
        ? lookup(passwd, userPart, 'user', image.ref)
        : { name: 'root', id: 0, gid: 0 };
  const gid = runAsGroup ?? (groupPart ? lookup(group, groupPart, 'group', image.ref).id : (user.gid ?? 0));
  const merge = (psc.supplementalGroupsPolicy ?? 'Merge') === 'Merge';
  const member = merge ? group.filter((g) => user.name && g.members?.includes(user.name)).map((g) => g.id) : [];
  return { uid: user.id, gid, groups: [...new Set([gid, ...member, ...extra])] };
}
