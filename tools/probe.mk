# probe: see tools/module.mk
