"""The case page's template helpers: a note's text is escaped, its @handles marked."""

from panal.engagement.templatetags.panal_engagement import note_html


def test_a_note_keeps_its_lines_and_paragraphs_and_marks_handles():
    html = note_html("Hola @ana.lopez,\nmira esto\n\n\nlisto @bo")
    assert html == (
        '<p>Hola <span class="at">@ana.lopez</span>,<br>mira esto</p>\n'
        '<p>listo <span class="at">@bo</span></p>'
    )


def test_a_hostile_note_is_escaped_everywhere():
    html = note_html('<script>alert("x")</script> @x<img src=x onerror=1>\r\n"&\'')
    assert "<script>" not in html and "<img" not in html
    assert html == (
        "<p>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; "
        '<span class="at">@x</span>&lt;img src=x onerror=1&gt;<br>&quot;&amp;&#x27;</p>'
    )


def test_an_email_address_is_not_a_handle_and_an_empty_note_is_empty():
    assert note_html("ana@example.com") == "<p>ana@example.com</p>"
    assert note_html("") == "<p></p>"
