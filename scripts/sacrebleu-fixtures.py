#!/usr/bin/python3
"""Freezes sacreBLEU's BLEU and chrF on our test sets as JSON fixtures (test/fixtures/sacrebleu/expected.json).

sacreBLEU cannot be installed from the registries this project builds with, so it is run from its public source:

    apt-get install -y python3-regex python3-tabulate python3-portalocker python3-colorama python3-lxml
    # a checkout or snapshot of https://github.com/mjpost/sacrebleu, e.g. at /tmp/sacrebleu-src
    /usr/bin/python3 scripts/sacrebleu-fixtures.py /tmp/sacrebleu-src

SACREBLEU_DIR is the folder that holds the `sacrebleu` package. A snapshot made with `git archive` lacks the
`sacrebleu/version.py` that setuptools-scm writes at install time; the version is then read from the first
release heading of its CHANGELOG.md (the version the signatures print).

For every case of test/fixtures/sacrebleu/cases.json and every metric listed in it, sacreBLEU's corpus_score is run
on the case's hypotheses and references (the strings as they are in the JSON), and its score, statistics,
signature and printed forms are written out. The tests (test/metrics/sacrebleu-parity.test.ts) compare ours with them.
"""
import json
import os
import platform
import re
import sys
import types

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, '..', 'test', 'fixtures', 'sacrebleu')


def load_sacrebleu(src):
    if not os.path.isdir(os.path.join(src, 'sacrebleu')):
        sys.exit(f'{src} holds no sacrebleu package folder; give the root of a sacreBLEU checkout')
    sys.path.insert(0, src)
    if not os.path.exists(os.path.join(src, 'sacrebleu', 'version.py')):
        with open(os.path.join(src, 'CHANGELOG.md'), encoding='utf-8') as f:
            match = re.search(r'^## (\d+\.\d+\.\d+)', f.read(), re.M)
        if not match:
            sys.exit('no version.py and no release heading in CHANGELOG.md: cannot tell the version')
        module = types.ModuleType('sacrebleu.version')
        module.__version__ = match.group(1)
        sys.modules['sacrebleu.version'] = module
    import sacrebleu
    from sacrebleu.metrics import BLEU, CHRF
    return sacrebleu, BLEU, CHRF


def run_metric(BLEU, CHRF, spec, hyps, refs):
    if spec['metric'] == 'bleu':
        metric = BLEU(
            tokenize=spec.get('tokenize', '13a'),
            smooth_method=spec.get('smooth', 'exp'),
            smooth_value=spec.get('smoothValue'),
            lowercase=spec.get('lowercase', False),
            effective_order=spec.get('effectiveOrder', False),
        )
        score = metric.corpus_score(hyps, refs)
        out = {
            'score': score.score,
            'counts': list(score.counts),
            'totals': list(score.totals),
            'precisions': list(score.precisions),
            'bp': score.bp,
            'ratio': score.ratio,
            'hypLength': score.sys_len,
            'refLength': score.ref_len,
        }
    else:
        metric = CHRF(
            word_order=spec.get('wordOrder', 0),
            lowercase=spec.get('lowercase', False),
            whitespace=spec.get('whitespace', False),
            eps_smoothing=spec.get('epsSmoothing', False),
        )
        score = metric.corpus_score(hyps, refs)
        out = {'name': score.name, 'score': score.score}
    signature = metric.get_signature().format()
    out['signature'] = signature
    # What sacreBLEU's command line prints: `-f text` and the default JSON, at its default width of 1.
    out['text'] = score.format(width=1, signature=signature)
    out['json'] = json.loads(score.format(width=1, signature=signature, is_json=True))
    return out


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sacrebleu, BLEU, CHRF = load_sacrebleu(sys.argv[1])
    import regex
    with open(os.path.join(FIXTURES, 'cases.json'), encoding='utf-8') as f:
        cases = json.load(f)['cases']
    results = []
    for case in cases:
        for spec in case['metrics']:
            results.append({
                'case': case['name'],
                'settings': spec,
                'expected': run_metric(BLEU, CHRF, spec, case['hypotheses'], case['references']),
            })
    frozen = {
        'about': 'sacreBLEU\'s figures on cases.json, written by scripts/sacrebleu-fixtures.py; do not edit by hand.',
        'sacrebleu': sacrebleu.__version__,
        'python': platform.python_version(),
        'regex': regex.__version__,
        'results': results,
    }
    target = os.path.join(FIXTURES, 'expected.json')
    with open(target, 'w', encoding='utf-8') as f:
        json.dump(frozen, f, ensure_ascii=False, indent=1)
        f.write('\n')
    print(f'{len(results)} results from sacreBLEU {sacrebleu.__version__} written to {os.path.relpath(target)}')


if __name__ == '__main__':
    main()
