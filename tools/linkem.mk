# linkem: see tools/module.mk
