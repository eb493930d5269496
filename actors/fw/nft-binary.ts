// Where the nft program is: fixed system paths, never a PATH lookup. Under npm/npx, node_modules/.bin
// comes first in PATH and holds `nft` from @vercel/nft (an ava dependency) that ignores nftables and exits 0.
import { existsSync } from 'node:fs';

export const NFT_PATHS = ['/usr/sbin/nft', '/sbin/nft', '/usr/local/sbin/nft', '/usr/bin/nft'] as const;

/** The first nftables `nft` found in the system directories, or null. */
export function findNft(paths: readonly string[] = NFT_PATHS): string | null {
  return paths.find((p) => existsSync(p)) ?? null;
}
