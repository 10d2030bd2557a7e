// The check dockerd makes on every save/push: each layer's tar stream reassembled from its
// tar-split over its diff dir must hash to its DiffID. Run on the checksum worker pool.
import { runChecksums } from '../checksum/pool.js';
import type { LayerToCheck, Problem } from './layout.js';

export async function checkLayerData(layers: LayerToCheck[], workers: number, onBytes?: (n: number) => void, onLayer?: () => void): Promise<Problem[]> {
  const problems: Problem[] = [];
  const byHex = new Map(layers.map((l) => [l.chainHex, l]));
  const results = await runChecksums(
    layers.map((l) => ({ v1Id: l.chainHex, tarData: l.tarSplit, fileRoot: l.diffDir, source: { kind: 'dir', dir: l.diffDir, excludeAufsMeta: false }, pathBOut: '', noFallback: true, weight: 0 })),
    workers,
    {
      onBytes: (_id, n) => onBytes?.(n),
      onDone: () => onLayer?.(),
      onError: (hex, message) => {
        problems.push({ file: byHex.get(hex)!.tarSplit, message: `cannot reassemble the layer: ${message.replace(/^layer [a-f0-9]{64}: /, '')}` });
        onLayer?.();
      },
    },
  );
  for (const [hex, d] of results) {
    const l = byHex.get(hex)!;
    if (d.diffId !== l.diffId) problems.push({ file: `${l.tarSplit.replace(/tar-split\.json\.gz$/, 'diff')}`, message: `DiffID is ${l.diffId} but the layer data hashes to ${d.diffId}` });
  }
  return problems;
}
