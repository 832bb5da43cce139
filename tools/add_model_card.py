"""Give an existing ONNX file its model card, without re-serializing the graph.

    /usr/bin/python3 tools/add_model_card.py -c CONFIG.yaml MODEL.onnx [--null-class N] [--class-names a,b,...]

CONFIG is the config the network was trained with (the original code base's layout). The card
(tools/model_card.py) is appended as a metadata_props entry: the bytes before it stay as they
were, so every output of the network does too. A file whose card already says the same is left
alone; one with another card is refused unless --replace (the new entry then wins).

Conditional networks (inputs x, t, y) get data.num_classes, class names and the null class.
"""
import argparse
import json
import sys

import yaml

from model_card import CARD_KEY, append_card, build_card


def existing_card(path):
    try:
        import onnx
    except ImportError:
        return None
    model = onnx.load(path, load_external_data=False)
    values = [p.value for p in model.metadata_props if p.key == CARD_KEY]
    inputs = [i.name for i in model.graph.input if i.name not in {init.name for init in model.graph.initializer}]
    return (json.loads(values[-1]) if values else None), len(inputs)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('-c', '--config', required=True)
    parser.add_argument('onnx')
    parser.add_argument('--null-class', type=int, default=-1)
    parser.add_argument('--class-names')
    parser.add_argument('--replace', action='store_true')
    args = parser.parse_args()
    with open(args.config) as f:
        cfg = yaml.safe_load(f)
    found = existing_card(args.onnx)
    if found is None:
        sys.exit('the onnx package is needed to read the file (apt install python3-onnx)')
    current, inputs = found
    names = args.class_names.split(',') if args.class_names else cfg['data'].get('class_names')
    card = build_card(cfg, inputs == 3, args.null_class, names)
    if current == card:
        print(f'{args.onnx} already has this card')
        return
    if current is not None and not args.replace:
        sys.exit(f'{args.onnx} has another model card; give --replace to write this one')
    written = append_card(args.onnx, card)
    print(f'wrote the model card of {args.onnx} ({written} bytes)')


if __name__ == '__main__':
    main()
