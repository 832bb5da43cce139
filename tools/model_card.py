"""The model card the toolkit reads from an ONNX file's metadata_props.

One entry, key `ddim.card`, value JSON:

    {"format": "ddim-toolkit/model-card@1",
     "diffusion": {"total_steps", "beta_schedule", "beta_start", "beta_end", "objective", "betas": [...]},
     "data": {"img_size", "img_channels", "num_classes", "class_names": [...]},
     "null_class": -1}

`betas` are the float64 values of the schedule (so a reader can check a config against them);
`num_classes`, `class_names` and `null_class` only for class-conditional networks.

The entry is appended to the file as protobuf bytes (ModelProto field 14): a parser reads
the fields of a message in order, and for a repeated field appends them, so the graph's bytes
stay exactly as they were and the last `ddim.card` wins.
"""
import json
import math

CARD_KEY = 'ddim.card'
CARD_FORMAT = 'ddim-toolkit/model-card@1'
METADATA_PROPS_FIELD = 14


def beta_values(params):
    """β_t for t = 0..T−1 in float64, as the original's diffusions/schedule.py defines them."""
    if params.get('betas') is not None:
        return [float(b) for b in params['betas']]
    total = int(params.get('total_steps', 1000))
    schedule = params.get('beta_schedule', 'linear')
    start = float(params.get('beta_start', 0.0001))
    end = float(params.get('beta_end', 0.02))
    span = [i / (total - 1) if total > 1 else 0.0 for i in range(total)]
    if schedule == 'linear':
        return [start + (end - start) * s for s in span]
    if schedule == 'quad':
        return [(math.sqrt(start) + (math.sqrt(end) - math.sqrt(start)) * s) ** 2 for s in span]
    if schedule == 'const':
        return [end] * total
    if schedule == 'cosine':
        def alpha_bar(s):
            return math.cos((s + 0.008) / 1.008 * math.pi / 2) ** 2
        return [min(1 - alpha_bar((i + 1) / total) / alpha_bar(i / total), 0.999) for i in range(total)]
    raise SystemExit(f'diffusion.params.beta_schedule {schedule!r}: expected linear, quad, const or cosine')


def data_value(cfg, key):
    """data.KEY, or data.params.KEY where the code base's current configs put it."""
    data = cfg['data']
    return data.get(key, (data.get('params') or {}).get(key))


def num_classes(cfg):
    return data_value(cfg, 'num_classes')


def build_card(cfg, conditional, null_class=-1, class_names=None):
    """The card of a network trained with config `cfg` (the original code base's layout)."""
    params = dict((cfg.get('diffusion') or {}).get('params') or {})
    data = cfg['data']
    card = {
        'format': CARD_FORMAT,
        'diffusion': {
            'total_steps': int(params.get('total_steps', 1000)),
            'beta_schedule': params.get('beta_schedule', 'linear'),
            'beta_start': float(params.get('beta_start', 0.0001)),
            'beta_end': float(params.get('beta_end', 0.02)),
            'objective': params.get('objective', 'pred_eps'),
            'betas': beta_values(params),
        },
        'data': {'img_size': int(data_value(cfg, 'img_size')), 'img_channels': int(data['img_channels'])},
    }
    if conditional:
        classes = int(num_classes(cfg))
        names = list(class_names) if class_names else [str(c) for c in range(classes)]
        if len(names) != classes:
            raise SystemExit(f'{len(names)} class names for data.num_classes={classes}')
        card['data'].update({'num_classes': classes, 'class_names': names})
        card['null_class'] = int(null_class)
    return card


def _varint(n):
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _length_delimited(field, payload):
    return _varint((field << 3) | 2) + _varint(len(payload)) + payload


def card_bytes(card):
    """ModelProto field 14 holding StringStringEntryProto {key: 1, value: 2}."""
    value = json.dumps(card, separators=(',', ':')).encode('utf-8')
    entry = _length_delimited(1, CARD_KEY.encode('utf-8')) + _length_delimited(2, value)
    return _length_delimited(METADATA_PROPS_FIELD, entry)


def append_card(path, card):
    """Append the card's entry to the ONNX file at `path`; returns the bytes appended."""
    entry = card_bytes(card)
    with open(path, 'ab') as f:
        f.write(entry)
    return len(entry)
