package io.steermesh.cli;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.steermesh.engine.tokenizer.chat.ChatTemplate;
import io.steermesh.engine.tokenizer.chat.ChatTemplateException;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Clock;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code steermesh chat-template}: a JSON array of {@code {"messages": [...], "add_generation_prompt": bool}} on
 * stdin → a JSON array of the prompts the tokenizer's own chat template renders, on stdout.
 */
final class ChatTemplateCommand {
    private ChatTemplateCommand() {}

    static final Set<String> VALUE_FLAGS = Set.of("tokenizer", "date");
    static final Set<String> SWITCHES = Set.of();

    private record Conversation(List<Map<String, Object>> messages, boolean addGenerationPrompt, Map<String, Object> extra) {}

    static int run(List<String> argList, InputStream in, PrintStream out) throws IOException {
        CliArgs a = CliArgs.parse("chat-template", argList, VALUE_FLAGS, SWITCHES, Set.of());
        if (!a.has("tokenizer")) throw new UserError("chat-template needs --tokenizer PATH (a .gguf file, tokenizer_config.json or its directory)");
        // the input first: a malformed request fails before any file is opened
        ObjectMapper mapper = new ObjectMapper();
        List<Conversation> conversations = parse(mapper, in);

        Path path = Path.of(a.get("tokenizer"));
        ChatTemplate template = ChatTemplate.find(path).orElseThrow(() -> new UserError(path + " has no chat template "
                + "(looked for " + ChatTemplate.GGUF_KEY + " in a .gguf file, chat_template in " + ChatTemplate.HF_CONFIG + ")"));
        if (a.has("date")) template = template.withClock(fixedDate(a.get("date")));
        List<String> rendered = new ArrayList<>(conversations.size());
        for (int i = 0; i < conversations.size(); i++) {
            Conversation c = conversations.get(i);
            try {
                rendered.add(template.render(c.messages(), c.addGenerationPrompt(), c.extra()).text());
            } catch (ChatTemplateException e) {
                throw new UserError("conversation " + i + ": the chat template failed: " + e.getMessage());
            }
        }
        out.print(mapper.writeValueAsString(rendered));
        out.print('\n');
        out.flush();
        return 0;
    }

    /** {@code --date YYYY-MM-DD}: what the template's {@code strftime_now} sees (midnight UTC that day). */
    private static Clock fixedDate(String date) {
        try {
            return Clock.fixed(LocalDate.parse(date).atStartOfDay(ZoneOffset.UTC).toInstant(), ZoneOffset.UTC);
        } catch (DateTimeParseException e) {
            throw new UserError("--date must be a date as YYYY-MM-DD (got \"" + date + "\")");
        }
    }

    private static List<Conversation> parse(ObjectMapper mapper, InputStream in) throws IOException {
        String expected = "expected a JSON array of {\"messages\": [{\"role\": ..., \"content\": ...}, ...], \"add_generation_prompt\": true|false}";
        JsonNode root;
        try {
            root = mapper.readTree(in);
        } catch (JacksonException e) {
            throw new UserError("stdin is not valid JSON: " + e.getOriginalMessage().lines().findFirst().orElse(""));
        }
        if (root == null || root.isMissingNode()) throw new UserError("stdin is empty; " + expected);
        if (!root.isArray()) throw new UserError("stdin must be a JSON array (got a JSON " + root.getNodeType().name().toLowerCase(java.util.Locale.ROOT) + "); " + expected);
        List<Conversation> out = new ArrayList<>();
        for (int i = 0; i < root.size(); i++) {
            JsonNode c = root.get(i);
            if (!c.isObject()) throw new UserError("element " + i + " is not an object; " + expected);
            JsonNode messages = c.get("messages");
            if (messages == null || !messages.isArray()) throw new UserError("element " + i + ": \"messages\" must be an array of {\"role\", \"content\"} objects");
            for (int m = 0; m < messages.size(); m++) {
                JsonNode msg = messages.get(m);
                if (!msg.isObject() || !msg.path("role").isTextual()) {
                    throw new UserError("element " + i + ": messages[" + m + "] must be an object with a string \"role\"");
                }
            }
            JsonNode agp = c.get("add_generation_prompt");
            if (agp != null && !agp.isBoolean()) throw new UserError("element " + i + ": \"add_generation_prompt\" must be true or false");
            Map<String, Object> extra = mapper.convertValue(c, new TypeReference<>() {});
            extra.remove("messages");
            extra.remove("add_generation_prompt");
            out.add(new Conversation(mapper.convertValue(messages, new TypeReference<>() {}), agp != null && agp.booleanValue(), extra));
        }
        return out;
    }
}
