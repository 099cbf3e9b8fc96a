"""Reader training, end to end, offline.

    python -m training data      # training/data/*.json.gz -> .cache/reader-data/{train,val}.jsonl
    python -m training train     # fine-tune e5-small -> qa/models/reader/ (checkpoints as it goes)
    python -m training evaluate  # the validation table, with the shipped numpy reader
    python -m training token-pq  # the token states' PQ codebook -> qa/models/token_pq/ (training/token_pq.py)
    python -m training valcorpus # the validation split as a corpus + questions -> .cache/valcorpus/ (training/valcorpus.py)
    python -m training composer-grid  # the composer's settings measured on that corpus (training/composer_grid.py)
    python -m training fusion-dump    # the composer's candidates and features there (training/fusion.py)
    python -m training fusion-fit     # the learned fusion: cross-validated table, then fitted into the reader card
    python -m training news-data      # reader examples from training/newsqa/, cut as ask() reads (training/newsdata.py)
    python -m training removed-evidence  # no-answer rows: answer windows with the answering sentence cut out

The whole run (data ~3 min, training about 80 min, evaluation ~3 min) fits
this 2-core machine; see DATA.md for the sources and README for the figures.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = ROOT / ".cache" / "reader-data"
DEFAULT_OUT = ROOT / "qa" / "models" / "reader"
DEFAULT_VALCORPUS = ROOT / ".cache" / "valcorpus"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training")
    sub = parser.add_subparsers(dest="command", required=True)
    d = sub.add_parser("data", help="build train/val examples from the vendored SQuAD files")
    d.add_argument("--out", type=Path, default=DEFAULT_DATA)
    d.add_argument("--seed", type=int, default=13)
    d.add_argument("--cross-lingual", dest="extra", action="store_true", help="add the cross-lingual pass (training/crosslingual.py)")
    t = sub.add_parser("train", help="fine-tune the reader")
    t.add_argument("--data", type=Path, default=DEFAULT_DATA)
    t.add_argument("--out", type=Path, default=DEFAULT_OUT)
    t.add_argument("--train-layers", type=int, default=6)
    t.add_argument("--epochs", type=float, default=0.7)
    t.add_argument("--batch-size", type=int, default=16)
    t.add_argument("--lr", type=float, default=1e-4)
    t.add_argument("--seed", type=int, default=13)
    t.add_argument("--eval-every", type=int, default=300)
    t.add_argument("--init", type=Path, default=None, help="continue from this artefact's trained layers and head")
    t.add_argument("--extra", type=Path, default=None, help="more example rows (python -m training news-data)")
    t.add_argument("--extra-repeat", type=int, default=1)
    nd = sub.add_parser("news-data", help="reader examples from training/newsqa/ folders, cut as ask() reads")
    nd.add_argument("--parts", nargs="+", default=["p1", "p2", "p3", "p4"])
    nd.add_argument("--out", type=Path, default=ROOT / ".cache" / "reader-news" / "train.jsonl")
    nd.add_argument("--index-root", type=Path, default=ROOT / ".cache" / "newsqa-index")
    re_ = sub.add_parser("removed-evidence", help="no-answer rows: answer windows with the answering sentence cut out")
    re_.add_argument("--rows", type=Path, required=True, help="a training rows file (data or news-data)")
    re_.add_argument("--out", type=Path, required=True)
    e = sub.add_parser("evaluate", help="validation table of a trained reader")
    e.add_argument("--data", type=Path, default=DEFAULT_DATA)
    e.add_argument("--model", type=Path, default=DEFAULT_OUT)
    e.add_argument("--calibrate", action="store_true", help="write the no-answer threshold chosen on validation")
    sub.add_parser("token-pq", help="train the index's token-state codebook (qa/models/token_pq/)")
    v = sub.add_parser("valcorpus", help="write the validation articles as a corpus with a question file")
    v.add_argument("--out", type=Path, default=DEFAULT_VALCORPUS)
    v.add_argument("--all", dest="every", action="store_true", help="every question of the pools, not 200 per kind")
    f = sub.add_parser("fusion-dump", help="the composer's candidates and features on a corpus (training/fusion.py)")
    f.add_argument("--corpus", type=Path, nargs="+", default=[DEFAULT_VALCORPUS.with_name("valcorpus-all")],
                   help="one or more folders with articles/ and questions.jsonl, each indexed on its own")
    f.add_argument("--out", type=Path, default=ROOT / ".cache" / "fusion" / "valcorpus-all.jsonl")
    f.add_argument("--passages", type=int, default=None, help="top passages whose sentences compete (ComposerSettings.passages)")
    f.add_argument("--model", type=Path, default=None, help="a reader artefact other than the shipped one")
    g = sub.add_parser("composer-grid", help="measure composer settings on the validation corpus")
    g.add_argument("--corpus", type=Path, default=DEFAULT_VALCORPUS)
    g.add_argument("--grid", choices=["small", "lead", "full"], default="full")
    g.add_argument("--calibrate", action="store_true", help="write the reader's lead threshold chosen on the corpus")
    ff = sub.add_parser("fusion-fit", help="fit the learned fusion on the dump and write it into the reader card")
    ff.add_argument("--dump", type=Path, nargs="+", default=[ROOT / ".cache" / "fusion" / "valcorpus-all.jsonl"])
    ff.add_argument("--corpus", type=Path, nargs="+", default=[DEFAULT_VALCORPUS.with_name("valcorpus-all")],
                    help="the question folders the dumps were made from (their article names make the folds)")
    ff.add_argument("--model", type=Path, default=DEFAULT_OUT)
    ff.add_argument("--without", nargs="+", default=[], metavar="FEATURE",
                    help="ablation: these candidate features are set to 0 before fitting (nothing is written)")
    ff.add_argument("--no-write", dest="write", action="store_false", help="print the cross-validation only")
    args = parser.parse_args(argv)

    if args.command == "data":
        from .data import build

        print(json.dumps(build(args.out, args.seed, args.extra), indent=1))
    elif args.command == "train":
        from qa.embed.e5convert import default_model_dir

        from .reader import train

        train(
            args.data,
            args.out,
            base=default_model_dir(),
            train_layers=args.train_layers,
            epochs=args.epochs,
            batch_size=args.batch_size,
            lr=args.lr,
            seed=args.seed,
            init=args.init,
            eval_every=args.eval_every,
            extra=args.extra,
            extra_repeat=args.extra_repeat,
            log=lambda m: print(m, flush=True),
        )
    elif args.command == "news-data":
        from .newsdata import build as build_news

        print(json.dumps(build_news(args.parts, args.out, args.index_root), indent=1))
    elif args.command == "removed-evidence":
        from .removed_evidence import build as build_removed

        print(json.dumps(build_removed(args.rows, args.out), indent=1))
    elif args.command == "valcorpus":
        from .valcorpus import build as build_valcorpus

        print(json.dumps(build_valcorpus(args.out, every_question=args.every), indent=1))
    elif args.command == "fusion-dump":
        from .fusion import dump

        print(json.dumps(dump(args.corpus, args.out, args.passages, args.model), indent=1))
    elif args.command == "composer-grid":
        from .composer_grid import run

        print(run(args.corpus, args.grid, args.calibrate))
    elif args.command == "fusion-fit":
        from .fusion import fit_and_write

        questions = [c / "questions.jsonl" for c in args.corpus]
        print(fit_and_write(args.dump, questions, args.model / "reader.json", args.write and not args.without, args.without))
    elif args.command == "token-pq":
        from .token_pq import write_codebook

        print(json.dumps(write_codebook(ROOT / "qa" / "models" / "token_pq"), indent=1))
    else:
        from .validate import validate

        print(validate(args.data, args.model, calibrate=args.calibrate))
    return 0


if __name__ == "__main__":
    sys.exit(main())
