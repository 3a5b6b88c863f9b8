package io.flinkwire.jdbc;

import java.util.regex.Pattern;

/** Flink SQL text helpers. */
final class Sql {
    private Sql() {}

    /** A Flink identifier in backticks. */
    static String quoteIdent(String s) {
        return "`" + s.replace("`", "``") + "`";
    }

    /** A JDBC LIKE pattern (% _ and the \ escape) as a regex; null matches everything. */
    static Pattern like(String pattern) {
        if (pattern == null) return null;
        StringBuilder re = new StringBuilder();
        for (int i = 0; i < pattern.length(); i++) {
            char c = pattern.charAt(i);
            if (c == '\\' && i + 1 < pattern.length()) {
                re.append(Pattern.quote(String.valueOf(pattern.charAt(++i))));
            } else if (c == '%') {
                re.append(".*");
            } else if (c == '_') {
                re.append('.');
            } else {
                re.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return Pattern.compile(re.toString(), Pattern.DOTALL);
    }

    static boolean matches(Pattern p, String s) {
        return p == null || p.matcher(s).matches();
    }
}
