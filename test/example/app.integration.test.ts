import { describeExampleApp } from './app.suite';

describeExampleApp('redis');
