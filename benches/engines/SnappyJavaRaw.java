// One third of benches/engines/run.sh: xerial snappy-java (Google's C++ snappy over JNI, what
// the Java benchmark's snappy-java codec runs) timed exactly as benches/tools/engine_snap.rs times
// the snap crate: every serialized payload of a batch cut into 64 KiB pieces, compressed and
// decompressed as raw blocks into reused arrays, best round of ROUNDS.
// Usage: java -cp snappy-java.jar SnappyJavaRaw.java BATCH_DIR ROUNDS
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.xerial.snappy.Snappy;

public class SnappyJavaRaw {
  static List<byte[]> chunks(byte[] batch) {
    List<byte[]> out = new ArrayList<>();
    int at = 0;
    while (at < batch.length) {
      at++; // the element's tag
      long len = 0;
      for (int shift = 0; ; shift += 7) {
        byte b = batch[at++];
        len |= (long) (b & 0x7f) << shift;
        if (b >= 0) break;
      }
      int end = at + (int) len;
      for (int i = at; i < end; i += 65536) out.add(Arrays.copyOfRange(batch, i, Math.min(end, i + 65536)));
      at = end;
    }
    return out;
  }

  public static void main(String[] args) throws Exception {
    int rounds = Integer.parseInt(args[1]);
    for (String name : new String[] {"100x200", "16x4096", "4x65536", "1x1048576"}) {
      List<byte[]> pieces = chunks(Files.readAllBytes(Path.of(args[0], "batch-" + name + ".bin")));
      List<byte[]> blocks = new ArrayList<>();
      for (byte[] p : pieces) blocks.add(Snappy.compress(p));
      byte[] scratch = new byte[Snappy.maxCompressedLength(65536)];
      byte[] back = new byte[65536];
      long bestC = Long.MAX_VALUE, bestD = Long.MAX_VALUE;
      long sink = 0;
      for (int r = 0; r < rounds; r++) {
        long t = System.nanoTime();
        for (byte[] p : pieces) sink += Snappy.compress(p, 0, p.length, scratch, 0);
        bestC = Math.min(bestC, System.nanoTime() - t);
        t = System.nanoTime();
        for (byte[] b : blocks) sink += Snappy.uncompress(b, 0, b.length, back, 0);
        bestD = Math.min(bestD, System.nanoTime() - t);
      }
      System.out.println("snappy-java\t" + name + "\t" + bestC + "\t" + bestD + (sink == 42 ? " " : ""));
    }
  }
}
