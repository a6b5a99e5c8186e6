// Expected JSON reports for GoldenTests (raw literals, since Package.swift has no resources for
// this test target). Regenerate with PTB_PRINT_GOLDEN=1 after a deliberate format change.

let provenanceGolden = #"""
    {
      "architecture" : {
        "configFound" : true,
        "extraTensors" : [

        ],
        "fields" : [
          {
            "base" : "\"llama\"",
            "candidate" : "\"llama\"",
            "field" : "model_type",
            "same" : true
          },
          {
            "base" : "8",
            "candidate" : "8",
            "field" : "hidden_size",
            "same" : true
          },
          {
            "base" : "1",
            "candidate" : "1",
            "field" : "num_hidden_layers",
            "same" : true
          },
          {
            "base" : "4",
            "candidate" : "4",
            "field" : "num_attention_heads",
            "same" : true
          },
          {
            "base" : "4",
            "candidate" : "4",
            "field" : "num_key_value_heads",
            "same" : true
          },
          {
            "base" : "16",
            "candidate" : "16",
            "field" : "intermediate_size",
            "same" : true
          },
          {
            "base" : "8",
            "candidate" : "8",
            "field" : "vocab_size",
            "same" : true
          }
        ],
        "missingTensors" : [

        ],
        "reshapedTensors" : [

        ]
      },
      "base" : {
        "dtypes" : {
          "F32" : 8
        },
        "files" : [
          "model.safetensors"
        ],
        "path" : "<tmp>/base",
        "tensorBytes" : 2336,
        "tensors" : 8
      },
      "candidate" : {
        "dtypes" : {
          "BF16" : 8
        },
        "files" : [
          "model.safetensors"
        ],
        "path" : "<tmp>/candidate",
        "tensorBytes" : 1168,
        "tensors" : 8
      },
      "fromBase" : {
        "bytewiseOnlyTensors" : 0,
        "comparedElements" : 584,
        "comparedTensors" : 8,
        "identicalTensors" : 0,
        "nonFiniteTensors" : [

        ],
        "relativeDistance" : 0.194217,
        "weightsIdentical" : false
      },
      "policy" : {
        "margin" : 0.9,
        "maxRelativeDistance" : 1.25,
        "maxUpdateCosine" : 0.6
      },
      "references" : [
        {
          "checkpoint" : {
            "dtypes" : {
              "F32" : 8
            },
            "files" : [
              "model.safetensors"
            ],
            "path" : "<tmp>/instruct",
            "tensorBytes" : 2336,
            "tensors" : 8
          },
          "comparedTensors" : 8,
          "copiedTensors" : 0,
          "distanceRatio" : 0.236863,
          "identicalFiles" : [
            "config.json",
            "tokenizer.json"
          ],
          "identicalTensors" : 0,
          "name" : "instruct",
          "numericallyIdentical" : false,
          "referenceFromBase" : 0.188402,
          "referenceShare" : 1.00153,
          "relativeDistance" : 0.0446987,
          "updateCosine" : 0.971544,
          "weightsIdentical" : false
        }
      ],
      "schemaVersion" : 1,
      "tensors" : [
        {
          "baseDType" : "F32",
          "dtype" : "BF16",
          "identicalToBase" : false,
          "name" : "model.embed_tokens.weight",
          "references" : [
            {
              "identical" : false,
              "reference" : "instruct",
              "relativeDistance" : 0.0502503,
              "updateCosine" : 0.964692
            }
          ],
          "relativeDistance" : 0.196109,
          "shape" : [
            8,
            8
          ]
        },
        {
          "baseDType" : "F32",
          "dtype" : "BF16",
          "identicalToBase" : false,
          "name" : "model.layers.0.input_layernorm.weight",
          "references" : [
            {
              "identical" : false,
              "reference" : "instruct",
              "relativeDistance" : 0
            }
          ],
          "relativeDistance" : 0,
          "shape" : [
            8
          ]
        },
        {
          "baseDType" : "F32",
          "dtype" : "BF16",
          "identicalToBase" : false,
          "name" : "model.layers.0.mlp.down_proj.weight",
          "references" : [
            {
              "identical" : false,
              "reference" : "instruct",
              "relativeDistance" : 0.0464079,
              "updateCosine" : 0.969713
            }
          ],
          "relativeDistance" : 0.19592,
          "shape" : [
            8,
            16
          ]
        },
        {
          "baseDType" : "F32",
          "dtype" : "BF16",
          "identicalToBase" : false,
          "name" : "model.layers.0.mlp.up_proj.weight",
          "references" : [
            {
              "identical" : false,
              "reference" : "instruct",
              "relativeDistance" : 0.0466822,
              "updateCosine" : 0.972496
            }
          ],
          "relativeDistance" : 0.203481,
          "shape" : [
            16,
            8
          ]
        },
        {
          "baseDType" : "F32",
          "dtype" : "BF16",
          "identicalToBase" : false,
          "name" : "model.layers.0.self_attn.k_proj.weight",
          "references" : [
            {
              "identical" : false,
              "reference" : "instruct",
              "relativeDistance" : 0.0483627,
              "updateCosine" : 0.970199
            }
          ],
          "relativeDistance" : 0.207347,
          "shape" : [
            8,
            8
          ]
        },
        {
          "baseDType" : "F32",
          "dtype" : "BF16",
          "identicalToBase" : false,
          "name" : "model.layers.0.self_attn.o_proj.weight",
          "references" : [
            {
              "identical" : false,
              "reference" : "instruct",
              "relativeDistance" : 0.0459416,
              "updateCosine" : 0.975718
            }
          ],
          "relativeDistance" : 0.215473,
          "shape" : [
            8,
            8
          ]
        },
        {
          "baseDType" : "F32",
          "dtype" : "BF16",
          "identicalToBase" : false,
          "name" : "model.layers.0.self_attn.q_proj.weight",
          "references" : [
            {
              "identical" : false,
              "reference" : "instruct",
              "relativeDistance" : 0.0375327,
              "updateCosine" : 0.980301
            }
          ],
          "relativeDistance" : 0.194811,
          "shape" : [
            8,
            8
          ]
        },
        {
          "baseDType" : "F32",
          "dtype" : "BF16",
          "identicalToBase" : false,
          "name" : "model.layers.0.self_attn.v_proj.weight",
          "references" : [
            {
              "identical" : false,
              "reference" : "instruct",
              "relativeDistance" : 0.0457096,
              "updateCosine" : 0.967857
            }
          ],
          "relativeDistance" : 0.176766,
          "shape" : [
            8,
            8
          ]
        }
      ],
      "tokenizer" : {
        "base" : {
          "sha256" : "9fcd8b0f8195bd16c65c20d66ce2d8c9229573e3bb88b77a8725d4175b9bc03b",
          "vocabSize" : 8
        },
        "candidate" : {
          "sha256" : "9fcd8b0f8195bd16c65c20d66ce2d8c9229573e3bb88b77a8725d4175b9bc03b",
          "vocabSize" : 8
        }
      },
      "verdict" : {
        "findings" : [
          {
            "code" : "closer-to-reference",
            "message" : "the weights are only 0.2369× as far from reference 'instruct' as from the base (required: ≥ 0.9×): they contain most of the reference's own update, so they descend from the reference, not the base."
          },
          {
            "code" : "update-toward-reference",
            "message" : "the change from the base points toward reference 'instruct' (cosine 0.9715, limit 0.6): as merging with, interpolating toward or fine-tuning the reference does."
          }
        ],
        "notes" : [

        ],
        "status" : "flagged"
      }
    }
    """# + "\n"

let scanGolden = #"""
    {
      "bytesScanned" : 160,
      "contaminatedItems" : 2,
      "filesScanned" : 3,
      "grams" : 10,
      "hits" : [
        {
          "field" : "question",
          "file" : "<tmp>/train.jsonl",
          "gramLength" : 13,
          "grams" : 6,
          "item" : "q1",
          "line" : 1
        },
        {
          "field" : "question",
          "file" : "<tmp>/train.jsonl",
          "gramLength" : 7,
          "grams" : 1,
          "item" : "q3",
          "line" : 2
        }
      ],
      "hitsTruncated" : false,
      "indexed" : {
        "answers" : 1,
        "questions" : 3
      },
      "items" : 3,
      "minTokens" : 4,
      "n" : 13,
      "schemaVersion" : 2,
      "shortN" : 8,
      "skipped" : [

      ],
      "task" : "toy",
      "tooShort" : {
        "answers" : 2,
        "questions" : 0
      },
      "unscanned" : [
        {
          "path" : "<tmp>/missing.txt",
          "reason" : "does not exist"
        }
      ]
    }
    """# + "\n"
