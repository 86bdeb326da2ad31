"""`cdpi classify`: the evidence the crawl would record for one page, or for a JSON Lines batch of pages
(scored against their labels when they have some)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from pipelines.cli.errors import EXIT_FAILED, CliError
from pipelines.cli.output import _err


def cmd_classify(args: argparse.Namespace) -> int:
    """Evidence the pipeline would record for a page; with --batch, for a JSON Lines file of pages."""
    import logging

    from sources.evidence.documents import DEFAULT_PDF_PAGES
    from sources.evidence.reading import read_body

    if args.batch:
        return _classify_batch(args)
    if not args.file:
        raise CliError("give a FILE to classify (HTML, PDF or text; - for standard input), or --batch FILE.jsonl")
    data = sys.stdin.buffer.read() if args.file == "-" else Path(args.file).read_bytes()
    # pypdf logs each defect it works around; what could not be read is said once, below, in words.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    # The crawl's own reading (sources/evidence/reading.py): the same document and evidence it would record.
    doc, evidence = read_body(data, content_type=None, charset_header=None, url=args.url,
                              max_pdf_pages=DEFAULT_PDF_PAGES)
    print(json.dumps([e.to_dict(explain=args.explain) for e in evidence], indent=2, ensure_ascii=False))
    name = "standard input" if args.file == "-" else args.file
    if doc is None or doc.error:    # unknown is not absent: say that the page, or part of it, went unread
        why = doc.error if doc is not None else "binary content, not a page"
        if doc is None or not doc.text:
            _err(f"cdpi: error: {name} could not be read ({why}): no evidence can be judged from it")
            return EXIT_FAILED
        _err(f"cdpi: warning: {name} was read only in part ({doc.error}): the evidence is from the part read")
    return 0


def _classify_batch(args: argparse.Namespace) -> int:
    """One output line per input line, in order; a bad line gets an "error" and the rest go on."""
    from sources.evidence.classify import KINDS, classify_record
    from sources.evidence.evaluate import macro_f1, score, table

    pairs, failed, labeled = [], 0, 0
    # Bytes, decoded line by line: one line in another encoding is that line's error, not the file's end.
    stream = sys.stdin.buffer if args.batch == "-" else open(args.batch, "rb")  # noqa: SIM115
    with stream:
        for n, raw in enumerate(stream, 1):
            rid = None
            try:
                line = raw.decode("utf-8-sig" if n == 1 else "utf-8")
                if not line.strip():
                    continue
                record = json.loads(line)
                rid = record.get("id") if isinstance(record, dict) else None
                evidence = classify_record(record)
            except UnicodeDecodeError as exc:
                failed += 1
                print(json.dumps({"id": None, "line": n, "error": f"not UTF-8 (byte {raw[exc.start]:#04x} at "
                                  f"column {exc.start + 1}): JSON Lines are UTF-8 text"}))
                continue
            except ValueError as exc:   # JSONDecodeError is a ValueError
                failed += 1
                print(json.dumps({"id": rid, "line": n, "error": str(exc)}, ensure_ascii=False))
                continue
            out = {"id": rid, "evidence": [e.to_dict(explain=args.explain) for e in evidence]}
            labels = record.get("labels")
            unknown = sorted({str(k) for k in labels} - set(KINDS)) if isinstance(labels, list) else []
            if unknown:             # a misspelt kind would be scored as a miss of a kind nobody meant
                failed += 1
                out |= {"line": n, "error": f"labels that are not kinds: {', '.join(unknown)} (kinds: "
                                            f"{', '.join(KINDS)}); this line is left out of the scores"}
            elif isinstance(labels, list):
                labeled += 1
                pairs.append((labels, [e.kind for e in evidence]))
            print(json.dumps(out, ensure_ascii=False))
    if labeled:
        scores = score(pairs)
        _err(f"{labeled} labeled lines\n{table(scores)}\nmacro-F1 {macro_f1(scores):.3f}")
    if failed:
        _err(f"cdpi: {failed} line(s) could not be classified or scored; see their \"error\" fields")
        return EXIT_FAILED
    return 0
