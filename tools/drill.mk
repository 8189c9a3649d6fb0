# drill: see tools/module.mk
