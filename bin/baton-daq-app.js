#!/usr/bin/env node
'use strict';
require('../dist/daq-app.js');
