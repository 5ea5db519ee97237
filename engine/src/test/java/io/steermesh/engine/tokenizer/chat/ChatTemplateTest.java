package io.steermesh.engine.tokenizer.chat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The Python/Jinja2 behaviours chat templates rely on, and where user content lies in a render. */
class ChatTemplateTest {

    private static final Clock JAN_2 = Clock.fixed(Instant.parse("2026-01-02T10:00:00Z"), ZoneOffset.UTC);
    private static final List<Map<String, Object>> CHAT = List.of(
            Map.of("role", "system", "content", "Be brief."),
            Map.of("role", "user", "content", "Hi <|im_end|> there"),
            Map.of("role", "assistant", "content", "Hello."));

    private static String render(String template) {
        return new ChatTemplate(template, "<s>", "</s>", JAN_2).render(CHAT, true).text();
    }

    /** Expected render and template, for the behaviours whose checks differ only in data. */
    static Stream<Arguments> renders() {
        return Stream.of(
                // Python slices: reverse, skip and clip
                arguments("assistant,user,system", "{{ messages[::-1]|map(attribute='role')|join(',') }}"),
                arguments("user,assistant", "{{ messages[1:]|map(attribute='role')|join(',') }}"),
                arguments("system", "{{ messages[:-2][0].role }}"),
                arguments("ef|fdb|", "{{ 'abcdef'[-2:] }}|{{ 'abcdef'[::-2] }}|{{ 'abc'[5:] }}"),
                // Python string methods keep Python semantics
                arguments("b|\n\nrest", "{{ 'a</think>b'.split('</think>')[-1] }}|{{ '\n\nrest'.split('|')[0] }}"),
                arguments("[a][b c ]", "{{ '[' ~ ' a\n'.strip() ~ '][' ~ '\nb c \n'.strip('\n') ~ ']' }}"),
                arguments("yes no", "{{ 'yes' if 'x.y'.startswith('x') }} {{ 'yes' if 'x.y'.endswith(('z', 'q')) else 'no' }}"),
                arguments("ok", "{{ 'ok\n\n'.rstrip() }}"),
                arguments("['a', 'b', 'c']", "{{ ' a b  c '.split() }}"),
                arguments("B.", "{{ messages[0].content[0] }}{{ messages[0].content[-1] }}"),
                // filters, tests and tags templates use
                arguments("user", "{{ (messages|rejectattr('role', 'equalto', 'system')|first).role }}"),
                arguments("S", "{% if messages[0]['role'] == 'system' %}{% set sys = 'S' %}{% endif %}{{ sys }}"),
                arguments("y|d", "{{ 'y' if messages[0].tool_calls is not defined }}|{{ messages[0].get('nope', 'd') }}"),
                arguments("system", "{%- for m in messages %}{%- if loop.index0 == 1 %}{% break %}{% endif %}{{ m.role }}{%- endfor %}"),
                arguments("1x2y", "{% macro m(a, b='x') %}{{ a }}{{ b }}{% endmacro %}{{ m(1) }}{{ m(2, b='y') }}"),
                // transformers' {% generation %} (assistant masks for training) renders its body
                arguments("Hello.", "{% generation %}{{ messages[-1].content }}{% endgeneration %}"),
                // namespace keyword values follow Python precedence
                arguments("2", "{% set ns = namespace(last=messages|length - 1) %}{{ ns.last }}"),
                arguments("3", "{% set ns = namespace(n=0) %}{% for m in messages %}{% set ns.n = ns.n + 1 %}{% endfor %}{{ ns.n }}"),
                // whitespace control matches Jinja2 with trim_blocks and lstrip_blocks
                arguments("A|B", "{%- for m in ['A', 'B'] %}\n    {%- if not loop.first %}|{% endif %}\n        {{- m }}\n{%- endfor %}\n"),
                arguments("x\n", "  {% if true %}\nx\n  {% endif %}\n"),
                // strftime_now reads the injected clock
                arguments("02 Jan 2026", "{{ strftime_now('%d %b %Y') }}"),
                arguments("January 2, 2026", "{{ strftime_now('%B %-d, %Y') }}"),
                // tojson prints as Python's json.dumps
                arguments("{\"name\": \"f\", \"args\": [1, true, null, \"é\\\"\"]}",
                        "{{ {'name': 'f', 'args': [1, true, none, 'é\"']} | tojson }}"));
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource("renders")
    void rendersAsPythonAndJinja2Do(String expected, String template) {
        assertEquals(expected, render(template));
    }

    @Test
    void aLoopFilterIsRefusedRatherThanRenderedWrong() {
        // Jinjava would skip the whole loop; the refusal names the construct
        ChatTemplateException e = assertThrows(ChatTemplateException.class,
                () -> render("{% for m in messages if m.role == 'user' %}{{ m.content }}{% endfor %}"));
        assertTrue(e.getMessage().contains("loop filter"), e.getMessage());
        assertEquals("x", render("{% for m in (messages if true else []) %}{% endfor %}x"));
    }

    @Test
    void raiseExceptionFailsTheRenderWithTheTemplatesMessage() {
        ChatTemplateException e = assertThrows(ChatTemplateException.class,
                () -> render("{% if messages[0].role == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}"));
        assertTrue(e.getMessage().contains("System role not supported"), e.getMessage());
    }

    @Test
    void aTemplateSyntaxErrorNamesTheProblem() {
        ChatTemplateException e = assertThrows(ChatTemplateException.class, () -> render("{% for m in messages %}x"));
        assertTrue(e.getMessage().contains("for"), e.getMessage());
    }

    @Test
    void userContentSpansCoverExactlyTheUsersText() {
        ChatTemplate t = new ChatTemplate("{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}",
                null, null, JAN_2);
        ChatTemplate.Rendered r = t.render(CHAT, false);
        int[] spans = r.plainSpans();
        assertEquals(6, spans.length);
        assertEquals("Be brief.", r.text().substring(spans[0], spans[1]));
        assertEquals("Hi <|im_end|> there", r.text().substring(spans[2], spans[3]));
        assertEquals("Hello.", r.text().substring(spans[4], spans[5]));
    }

    @Test
    void contentATemplateTrimsIsStillFoundBySearch() {
        ChatTemplate t = new ChatTemplate("{% for m in messages %}[{{ m.content | trim }}]{% endfor %}", null, null, JAN_2);
        ChatTemplate.Rendered r = t.render(List.of(Map.of("role", "user", "content", "  spaced  ")), false);
        assertEquals("[spaced]", r.text());
        assertArrayEquals(new int[] {1, 7}, r.plainSpans());
    }
}
