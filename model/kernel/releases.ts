/**
 * The Linux releases the model can run as, besides the seed revision: every 6.12 stable release
 * Debian's archive serves (`apt-cache madison linux-source-6.12`, bookworm-security), each pinned
 * to the exact package the real-kernel oracle builds (scripts/oracle/build-kernel.sh) and the
 * file whose hunks spec/kernel-versions.md accounts for (spec/kernel-hunks.json).
 */
export interface KernelRelease {
  /** The release as `uname -r` starts: 6.12.117. */
  readonly name: string;
  /** The Debian package version of linux-source-6.12 that carries it. */
  readonly debian: string;
}

export const RELEASES = [
  { name: '6.12.107', debian: '6.12.107-1~deb12u1' },
  { name: '6.12.111', debian: '6.12.111-1~deb12u1' },
  { name: '6.12.113', debian: '6.12.113-1~deb12u1' },
  { name: '6.12.115', debian: '6.12.115-2~deb12u1' },
  { name: '6.12.117', debian: '6.12.117-1~deb12u1' },
  { name: '6.12.118', debian: '6.12.118-1~deb12u1' },
] as const satisfies readonly KernelRelease[];

export type ReleaseName = (typeof RELEASES)[number]['name'];

/** Names that stand for a release: `6.12` is the newest 6.12 stable release above. */
export const KERNEL_ALIASES = { '6.12': '6.12.118' } as const satisfies Record<string, ReleaseName>;

/** The release a name stands for, an exact release or an alias of one; undefined for any other name. */
export function releaseNamed(name: string): ReleaseName | undefined {
  if (RELEASES.some((r) => r.name === name)) return name as ReleaseName;
  return Object.hasOwn(KERNEL_ALIASES, name)
    ? KERNEL_ALIASES[name as keyof typeof KERNEL_ALIASES]
    : undefined;
}
