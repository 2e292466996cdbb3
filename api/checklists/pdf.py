"""A saved checklist as a PDF, drawn with fpdf2 and the DejaVu Sans font shipped in
api/static/fonts (every Vietnamese letter, embedded as a subset; nothing is fetched)."""

from __future__ import annotations

from pathlib import Path

from fpdf import FPDF

from knowledge.checklists.service import MAYBE_HEADING, ChecklistItem, SavedView

FONT_DIR = Path(__file__).resolve().parent.parent / "static" / "fonts"
FONT = "DejaVuSans"
LINE = 5.6


def plain_text(text: str) -> str:
    """``text`` without emoji (DejaVu Sans has none: a missing glyph prints as an empty box)."""
    return "".join(ch for ch in text if ord(ch) <= 0xFFFF).strip()


class _Document(FPDF):
    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, size=8)
        self.set_text_color(110, 110, 110)
        self.cell(0, 5, f"Trang {self.page_no()}/{{nb}}", align="C")


def _item(pdf: FPDF, item: ChecklistItem, *, box: bool) -> None:
    details = [d for d in (item.amount, item.form) if d]
    text = item.name + (f" ({'; '.join(details)})" if details else "")
    pdf.set_font(FONT, size=10.5)
    pdf.cell(7, LINE, "☐" if box else "•")
    pdf.multi_cell(0, LINE, plain_text(text), new_x="LMARGIN", new_y="NEXT")
    extra = [f"Mẫu: {item.form_url}"] if item.form_url else []
    if item.note:
        extra.append(item.note)
    if extra:
        pdf.set_font(FONT, size=9)
        pdf.set_text_color(80, 80, 80)
        pdf.set_x(pdf.l_margin + 7)
        pdf.multi_cell(0, LINE - 0.8, plain_text(" — ".join(extra)), new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(0, 0, 0)
    pdf.ln(1)


def _heading(pdf: FPDF, text: str) -> None:
    pdf.ln(2)
    pdf.set_font(FONT, "B", 12)
    pdf.multi_cell(0, 7, plain_text(text), new_x="LMARGIN", new_y="NEXT")


def _paragraph(pdf: FPDF, text: str, size: float = 10.5) -> None:
    pdf.set_font(FONT, size=size)
    pdf.multi_cell(0, LINE, plain_text(text), new_x="LMARGIN", new_y="NEXT")


def checklist_pdf(view: SavedView, url: str) -> bytes:
    checklist = view.checklist
    pdf = _Document(format="A4")
    pdf.set_margins(16, 14, 16)
    pdf.set_auto_page_break(True, margin=16)
    pdf.add_font(FONT, "", str(FONT_DIR / "DejaVuSans.ttf"))
    pdf.add_font(FONT, "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
    pdf.set_title(f"Danh sách giấy tờ — {checklist.procedure_name}")
    pdf.set_lang("vi")
    pdf.set_creator("Trợ lý thủ tục hành chính")
    pdf.alias_nb_pages()
    pdf.add_page()

    pdf.set_font(FONT, "B", 15)
    pdf.multi_cell(0, 8, "Danh sách giấy tờ của tôi", new_x="LMARGIN", new_y="NEXT")
    _paragraph(pdf, f"{checklist.procedure_name} (mã {checklist.procedure_code})", 11.5)
    if view.changed_note:
        pdf.set_text_color(150, 60, 0)
        _paragraph(pdf, view.changed_note, 9.5)
        pdf.set_text_color(0, 0, 0)

    if checklist.answers_summary:
        _heading(pdf, "Trường hợp của tôi")
        for question, answer in checklist.answers_summary:
            _paragraph(pdf, f"• {question} {answer}", 9.5)

    _heading(pdf, "Cần chuẩn bị")
    if checklist.items:
        for item in checklist.items:
            _item(pdf, item, box=True)
    else:
        _paragraph(pdf, "Theo câu trả lời, nguồn không nêu giấy tờ bắt buộc chung.")
    if checklist.maybe_items:
        _heading(pdf, f"{MAYBE_HEADING} (tùy trường hợp)")
        for item in checklist.maybe_items:
            _item(pdf, item, box=True)
    for line in checklist.guidance:
        _paragraph(pdf, f"Lưu ý: {line}", 9.5)

    _heading(pdf, f"Cách nộp: {checklist.channel_label}" if checklist.channel else "Phí, lệ phí và thời hạn")
    for channel in checklist.channels:
        if checklist.channel is None:
            pdf.set_font(FONT, "B", 10.5)
            pdf.multi_cell(0, LINE, plain_text(channel.label), new_x="LMARGIN", new_y="NEXT")
        _paragraph(pdf, f"Phí, lệ phí: {channel.fee}")
        _paragraph(pdf, f"Thời hạn giải quyết: {channel.deadline}")
    if checklist.online_url:
        _paragraph(pdf, f"Nộp trực tuyến: {checklist.online_url}")

    _heading(pdf, "Nơi nộp")
    _paragraph(pdf, checklist.where)

    pdf.ln(3)
    source = [f"Nguồn: {checklist.source_url}"] if checklist.source_url else []
    if checklist.last_verified:
        source.append(f"cập nhật {checklist.last_verified.strftime('%d/%m/%Y')}")
    pdf.set_text_color(90, 90, 90)
    if source:
        _paragraph(pdf, " · ".join(source), 8.5)
    _paragraph(pdf, f"Bản trực tuyến: {url}", 8.5)
    _paragraph(
        pdf,
        "Danh sách lập từ câu trả lời của anh/chị và thông tin thủ tục đã công bố; cán bộ tiếp nhận có thể "
        "hướng dẫn thêm theo hồ sơ cụ thể.",
        8.5,
    )
    return bytes(pdf.output())
