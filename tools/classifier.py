"""A small Fashion-MNIST CNN: the default feature model of `ddim eval`.

Input: x float32 [B,1,32,32] in [-1, 1] (the sampler's output space).
Outputs: `features` [B,128] (for the Frechet distance) and `logits` [B,10].
"""
import torch.nn as nn


def conv_block(in_ch, out_ch):
    return nn.Sequential(nn.Conv2d(in_ch, out_ch, 3, padding=1), nn.BatchNorm2d(out_ch), nn.ReLU(inplace=True))


class Classifier(nn.Module):
    def __init__(self, num_classes=10, feature_dim=128):
        super().__init__()
        self.body = nn.Sequential(
            conv_block(1, 32), conv_block(32, 32), nn.MaxPool2d(2),
            conv_block(32, 64), conv_block(64, 64), nn.MaxPool2d(2),
            conv_block(64, 128), conv_block(128, feature_dim), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
        )
        self.dropout = nn.Dropout(0.3)
        self.head = nn.Linear(feature_dim, num_classes)

    def forward(self, x):
        features = self.body(x)
        return features, self.head(self.dropout(features))
