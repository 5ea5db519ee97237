import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Prints the per-request statistics of Gatling reports as a Markdown table (Gatling's console summary shows only
 * the global line; the per-request figures are in the HTML report). No dependencies; run with the source launcher:
 *
 * <pre>
 *   java load-tests/ReportTable.java load-tests/target/gatling/streamsimulation-20261123153359827 [more report folders]
 *   java load-tests/ReportTable.java --latest load-tests/target/gatling        # the newest report of each simulation
 * </pre>
 */
public class ReportTable {
    private static final Pattern ROW = Pattern.compile("<tr id=\"([^\"]+)\"(?: data-parent=\"([^\"]+)\")?\\s*>(.*?)</tr>", Pattern.DOTALL);
    private static final Pattern NAME = Pattern.compile("class=\"ellipsed-name\">([^<]*)</span>");
    private static final Pattern CELL = Pattern.compile("<td class=\"value [a-z ]*col-(\\d+)\">([^<]*)</td>");

    public static void main(String[] args) throws IOException {
        List<Path> reports = new ArrayList<>();
        if (args.length == 2 && args[0].equals("--latest")) {
            Map<String, Path> newest = new HashMap<>();
            try (var s = Files.list(Path.of(args[1]))) {
                s.filter(p -> Files.isRegularFile(p.resolve("index.html"))).sorted().forEach(p -> newest.put(p.getFileName().toString().replaceAll("-\\d+$", ""), p));
            }
            newest.values().stream().sorted().forEach(reports::add);
        } else {
            for (String a : args) reports.add(Path.of(a));
        }
        if (reports.isEmpty()) {
            System.err.println("usage: java ReportTable.java REPORT_DIR... | --latest GATLING_RESULTS_DIR");
            System.exit(2);
        }
        for (Path r : reports) print(r);
    }

    private static void print(Path report) throws IOException {
        String html = Files.readString(report.resolve("index.html"));
        Map<String, String> names = new HashMap<>();
        System.out.println("### " + report.getFileName());
        System.out.println();
        System.out.println("| request | count | KO | min | p50 | p75 | p95 | p99 | max | mean (ms) |");
        System.out.println("|---|---|---|---|---|---|---|---|---|---|");
        Matcher row = ROW.matcher(html);
        while (row.find()) {
            Matcher n = NAME.matcher(row.group(3));
            if (!n.find()) continue;
            String name = n.group(1).equals("All Requests") ? "all requests" : n.group(1);
            String parent = row.group(2);
            if (parent != null && names.containsKey(parent)) name = names.get(parent) + " / " + name;
            names.put(row.group(1), row.group(1).equals("ROOT") ? "" : name.replaceFirst("^ / ", ""));
            Map<Integer, String> c = new HashMap<>();
            Matcher cell = CELL.matcher(row.group(3));
            while (cell.find()) c.put(Integer.parseInt(cell.group(1)), cell.group(2).trim());
            String kind = row.group(1).startsWith("group_") ? " (group)" : "";
            System.out.printf("| %s%s | %s | %s | %s | %s | %s | %s | %s | %s | %s |%n", name.replaceFirst("^ / ", ""), kind,
                    c.get(2), c.get(4), c.get(7), c.get(8), c.get(9), c.get(10), c.get(11), c.get(12), c.get(13));
        }
        System.out.println();
    }
}
