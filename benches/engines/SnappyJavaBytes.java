// Half of benches/engines/bytes.sh: compresses every file of IN_DIR as one raw snappy block
// with xerial snappy-java (Google's C++ snappy over JNI) into OUT_DIR under the same name, so
// the script can compare those bytes with cramjam's (the snap crate's).
// Usage: java -cp snappy-java.jar SnappyJavaBytes.java IN_DIR OUT_DIR
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.xerial.snappy.Snappy;

public class SnappyJavaBytes {
  public static void main(String[] args) throws Exception {
    Path out = Path.of(args[1]);
    Files.createDirectories(out);
    try (Stream<Path> inputs = Files.list(Path.of(args[0]))) {
      for (Path in : (Iterable<Path>) inputs::iterator) {
        Files.write(out.resolve(in.getFileName()), Snappy.compress(Files.readAllBytes(in)));
      }
    }
  }
}
