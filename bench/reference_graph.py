"""PyTorch twin of flowdiff's molecule model for the `graph-train` workload: the graph
transformer of crates/flowdiff/src/models/graph.rs and crates/flowdiff/src/nn/graph_layer.rs (DiGress-style edge-FiLM
attention with an edge update, structural features of the noisy graph), the default QM9
config with the mask prior's inputs (9 node states, 5 edge states in; 8 atom and 4 bond
classes out), 875,788 parameters; the step of crates/flowdiff/src/workload/graph.rs: a fixed batch of 256
nine-atom graphs, node cross-entropy + 5 x edge cross-entropy, AdamW.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

NODE_EXTRA, EDGE_EXTRA = 7, 1  # degree, valence, diag(A^3..A^6), size; (A^2)_ij
BATCH, NODES = 256, 9


class FeedForward(nn.Module):
    def __init__(self, d, width):
        super().__init__()
        self.up, self.down = nn.Linear(d, width), nn.Linear(width, d)

    def forward(self, x):
        return self.down(F.relu(self.up(x)))


class GraphLayer(nn.Module):
    def __init__(self, dx, de, heads):
        super().__init__()
        self.heads = heads
        self.q, self.k, self.v = nn.Linear(dx, dx), nn.Linear(dx, dx), nn.Linear(dx, dx)
        self.e_mul, self.e_add = nn.Linear(de, heads), nn.Linear(de, heads)
        self.e_out, self.x_out = nn.Linear(heads, de), nn.Linear(dx, dx)
        self.norm_x1, self.norm_x2 = nn.LayerNorm(dx), nn.LayerNorm(dx)
        self.norm_e1, self.norm_e2 = nn.LayerNorm(de), nn.LayerNorm(de)
        self.ff_x, self.ff_e = FeedForward(dx, 2 * dx), FeedForward(de, 2 * de)

    def forward(self, h, e, key_mask):
        b, n, dx = h.shape
        dh = dx // self.heads

        def split(t):
            return t.reshape(b, n, self.heads, dh).transpose(1, 2)

        q, k, v = split(self.q(h)), split(self.k(h)), split(self.v(h))
        scores = q @ k.transpose(2, 3) / math.sqrt(dh)
        mul = self.e_mul(e).permute(0, 3, 1, 2)
        add = self.e_add(e).permute(0, 3, 1, 2)
        scores = scores * (mul + 1.0) + add
        e = self.norm_e1(e + self.e_out(scores.permute(0, 2, 3, 1)))
        e = self.norm_e2(e + self.ff_e(e))
        attn = torch.softmax(scores + key_mask, dim=3)
        out = (attn @ v).transpose(1, 2).reshape(b, n, dx)
        h = self.norm_x1(h + self.x_out(out))
        h = self.norm_x2(h + self.ff_x(h))
        return h, e


def structure(e, node_mask, max_nodes):
    b, n = e.shape[:2]
    bonds = e[..., 1:4]
    adj = bonds.sum(3)
    valence = (bonds * torch.tensor([1.0, 2.0, 3.0], device=e.device)).sum(3).sum(2, keepdim=True)
    degree = adj.sum(2, keepdim=True)
    eye = torch.eye(n, device=e.device)[None]
    a2 = adj @ adj
    walks, power = [], a2
    for _ in range(3, 7):
        power = power @ adj
        walks.append(torch.log((power * eye).sum(2, keepdim=True) + 1.0))
    size = (node_mask.sum(1) / max_nodes).reshape(b, 1, 1).expand(b, n, 1)
    node = torch.cat([degree / 4.0, valence / 4.0, *walks, size], 2) * node_mask[..., None]
    return node, torch.log(a2 + 1.0)[..., None]


class GraphNet(nn.Module):
    def __init__(self, node_in=9, edge_in=5, node_out=8, edge_out=4, dx=128, de=32, layers=6, heads=8,
                 time_dim=64, max_nodes=9):
        super().__init__()
        self.time_dim, self.max_nodes = time_dim, max_nodes
        self.node_in = nn.Linear(node_in + NODE_EXTRA, dx)
        self.edge_in = nn.Linear(edge_in + EDGE_EXTRA, de)
        self.time_hidden, self.time_node, self.time_edge = nn.Linear(time_dim, dx), nn.Linear(dx, dx), nn.Linear(dx, de)
        self.layers = nn.ModuleList(GraphLayer(dx, de, heads) for _ in range(layers))
        self.node_hidden, self.node_head = nn.Linear(dx, dx), nn.Linear(dx, node_out)
        self.edge_hidden, self.edge_head = nn.Linear(de, de), nn.Linear(de, edge_out)

    def forward(self, x, e, tau, node_mask, sinusoidal):
        b, n = x.shape[:2]
        node_extra, edge_extra = structure(e, node_mask, self.max_nodes)
        h = self.node_in(torch.cat([x, node_extra], 2))
        ee = self.edge_in(torch.cat([e, edge_extra], 3))
        temb = F.silu(self.time_hidden(sinusoidal(tau, self.time_dim)))
        h = h + self.time_node(temb).reshape(b, 1, -1)
        ee = ee + self.time_edge(temb).reshape(b, 1, 1, -1)
        key_mask = ((node_mask - 1.0) * 1e4).reshape(b, 1, 1, n)
        for layer in self.layers:
            h, ee = layer(h, ee, key_mask)
        nodes = self.node_head(F.relu(self.node_hidden(h)))
        edges = self.edge_head(F.relu(self.edge_hidden(ee)))
        return nodes, (edges + edges.transpose(1, 2)) / 2.0


def one_hot_graphs(dev, node_classes, edge_classes, gen):
    """Random graphs as padded one-hots: nodes [B, n, K]; edges [B, n, n, E] symmetric, zero on
    the diagonal (crates/flowdiff/src/discrete/batch.rs)."""
    nodes = torch.randint(node_classes, (BATCH, NODES), generator=gen)
    upper = torch.randint(edge_classes, (BATCH, NODES, NODES), generator=gen).triu(1)
    edges = F.one_hot(upper + upper.transpose(1, 2), edge_classes).float()
    edges = edges * (1.0 - torch.eye(NODES))[None, :, :, None]
    return F.one_hot(nodes, node_classes).float().to(dev), edges.to(dev)


def cross_entropy(logits, target):
    """-(sum target * log_softmax) / sum target (crates/flowdiff/src/discrete/objective.rs)."""
    return -(F.log_softmax(logits, -1) * target).sum() / target.sum().clamp_min(1.0)


def graph_train(dev, iters, trainer, sinusoidal):
    gen = torch.Generator().manual_seed(0)
    model = GraphNet().to(dev)
    x, e = one_hot_graphs(dev, 9, 5, gen)
    tx, te = one_hot_graphs(dev, 8, 4, gen)
    tau = torch.rand(BATCH, 1, generator=gen).to(dev)
    mask = torch.ones(BATCH, NODES, device=dev)

    def loss(m):
        nl, el = m(x, e, tau, mask, sinusoidal)
        return cross_entropy(nl, tx) + 5.0 * cross_entropy(el, te)

    return model, "steps/s", iters, BATCH, trainer(model, loss, iters)
