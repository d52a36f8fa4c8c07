"""SentencePiece reference for the tokenizer tests (run with Debian's /usr/bin/python3 and python3-sentencepiece).

Usage: sentencepiece_reference.py WORKDIR VOCAB_SIZE
Reads WORKDIR/corpus.txt (one line per sentence) and WORKDIR/texts.json (a list of strings), trains a Unigram
model the way XLM-R's was trained (default nmt_nfkc normalization, whitespace clean-up, dummy prefix), and writes
WORKDIR/reference.json: every piece with its score and kind, and SentencePiece's ids and pieces for every text.
"""
import json
import os
import sys

import sentencepiece as spm


def main():
    workdir, vocab_size = sys.argv[1], int(sys.argv[2])
    prefix = os.path.join(workdir, 'sp')
    spm.SentencePieceTrainer.train(
        input=os.path.join(workdir, 'corpus.txt'),
        model_prefix=prefix,
        vocab_size=vocab_size,
        model_type='unigram',
        character_coverage=1.0,
        hard_vocab_limit=False,
        num_threads=1,
        minloglevel=2,
    )
    sp = spm.SentencePieceProcessor(model_file=prefix + '.model')
    pieces = []
    for i in range(sp.get_piece_size()):
        kind = 'unknown' if sp.is_unknown(i) else 'control' if sp.is_control(i) else 'unused' if sp.is_unused(i) else 'normal'
        pieces.append([sp.id_to_piece(i), sp.get_score(i), kind])
    with open(os.path.join(workdir, 'texts.json'), encoding='utf-8') as f:
        texts = json.load(f)
    encoded = [{'ids': sp.encode(t), 'pieces': sp.encode(t, out_type=str)} for t in texts]
    with open(os.path.join(workdir, 'reference.json'), 'w', encoding='utf-8') as f:
        json.dump({'pieces': pieces, 'encoded': encoded, 'unk_id': sp.unk_id()}, f, ensure_ascii=False)


if __name__ == '__main__':
    main()
