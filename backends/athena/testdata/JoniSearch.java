// JoniSearch answers, for each input line "<pattern hex> <text hex>" (UTF-8
// bytes in hexadecimal), whether the pattern is found in the text, the way
// Trino's regexp_like runs it: joni with Java syntax, NonStrictUTF8Encoding,
// Option.DEFAULT, an unanchored search from the start. It prints one line
// per input: 1 (found), 0 (not found) or E and the compile error.
//
// Run with the joni and jcodings jars (Debian: libjruby-joni-java):
//   java -cp /usr/share/java/joni.jar:/usr/share/java/jcodings.jar JoniSearch.java
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

import org.jcodings.specific.NonStrictUTF8Encoding;
import org.joni.Matcher;
import org.joni.Option;
import org.joni.Regex;
import org.joni.Syntax;

public class JoniSearch {
    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII));
        PrintWriter out = new PrintWriter(System.out);
        Map<String, Object> cache = new HashMap<>();
        for (String line; (line = in.readLine()) != null; ) {
            String[] f = line.split(" ", -1);
            byte[] pattern = hex(f[0]);
            byte[] text = hex(f[1]);
            Object re = cache.computeIfAbsent(f[0], k -> {
                try {
                    return new Regex(pattern, 0, pattern.length, Option.DEFAULT, NonStrictUTF8Encoding.INSTANCE, Syntax.Java);
                } catch (Exception e) {
                    return "E " + e.getMessage();
                }
            });
            if (re instanceof String) {
                out.println(((String) re).replace('\n', ' '));
                continue;
            }
            Matcher m = ((Regex) re).matcher(text);
            out.println(m.search(0, text.length, Option.DEFAULT) >= 0 ? "1" : "0");
        }
        out.flush();
    }

    static byte[] hex(String s) {
        byte[] b = new byte[s.length() / 2];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) Integer.parseInt(s.substring(2 * i, 2 * i + 2), 16);
        }
        return b;
    }
}
