"""display.layout: tables of short cells laid out as one Text."""

from __future__ import annotations

from rich.text import Text

from evalkit.display.layout import GAP, MARGIN, laid_out


def test_columns_are_padded_to_their_widest_cell_and_styles_kept() -> None:
    table = laid_out(
        "Title",
        ["task", "n", "why"],
        [["t1", "7", ("not ok", "red")], ["a-longer-id", ("1,234", "green"), "ok"]],
        right=("n",),
    )
    lines = table.plain.splitlines()
    gap, margin = " " * GAP, " " * MARGIN
    assert lines[1] == margin + "task".ljust(11) + gap + "    n" + gap + "why"
    assert lines[2] == margin + "─" * (11 + GAP + 5 + GAP + 6)
    assert lines[3] == margin + "t1".ljust(11) + gap + "    7" + gap + "not ok"
    assert lines[4] == margin + "a-longer-id" + gap + "1,234" + gap + "ok"
    assert lines[0].strip() == "Title"
    styled = {table.plain[span.start : span.end]: str(span.style) for span in table.spans}
    assert styled["not ok"] == "red" and styled["1,234"] == "green"


def test_cells_print_as_text_never_as_markup() -> None:
    table = laid_out("T", ["a"], [["[bold]x[/]"]])
    assert table.plain.splitlines()[-1] == " " * MARGIN + "[bold]x[/]"


def test_a_last_column_is_written_as_given_and_the_title_centred_over_it() -> None:
    answer = Text.assemble(("[cut]", "yellow"), " text")
    table = laid_out("T", ["id"], [["x", answer]], last=("answer", 20))
    lines = table.plain.splitlines()
    assert lines[1] == " " * MARGIN + "id" + " " * GAP + "answer"
    assert lines[3] == " " * MARGIN + "x " + " " * GAP + "[cut] text"
    assert len(lines[2]) == MARGIN + 2 + GAP + 20
    assert lines[0] == "T".center(len(lines[2])).rstrip()
